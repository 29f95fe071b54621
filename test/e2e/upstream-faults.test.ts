/**
 * Every route that calls P云 while its caller waits, under each way P云 can fail: too slow
 * (timeout), an unreadable answer (garbage), an HTTP 5xx, the connection dropped, and nothing
 * listening (unreachable). Each answers in the caller's dialect with the code its mapping's code
 * table names, and reaches P云 exactly once — couponbridge never re-sends a redeem or a grant on
 * its own (the caller retries) — counted on the sandbox's received calls. After the caller's retry
 * succeeds, a repeat of the same business message is not sent again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { getDialect } from '../../src/dialects';
import type { UpstreamClient } from '../../src/dialects/types';
import { EVENT_PATH, GRANT_SYNC_PATH } from '../../src/sandbox';
import type { Fault } from '../../src/sandbox/server';
import { claimCoupon, startStack, type Stack } from '../support/stack';
import { dianping, parkPosYaml, uniq } from './dianping-client';

const TIMEOUT_MS = 800;
const CONSUME_TIME = 1709259330120;

type Kind = 'timeout' | 'garbage' | 'http 503' | 'dropped' | 'unreachable';
const kinds: Kind[] = ['timeout', 'garbage', 'http 503', 'dropped', 'unreachable'];

interface Reply {
  status: number;
  json: any;
  body: string;
}

interface RouteCase {
  route: string;
  /** The P云 path the route calls. */
  upstreamPath: string;
  /** A fresh business message (a new coupon/order); send() sends it, freshly signed each time. */
  prepare(s: Stack): Promise<() => Promise<Reply>>;
  expected: Record<Kind, { status: number; code: number | string; message: RegExp }>;
  success: unknown;
  /** The answer to a repeat after success (Dianping: the order or coupon is a duplicate, 3001001). */
  repeat: unknown;
}

const duplicate = { status: 'error', code: '3001001', message: '订单号重复' };

const tencentExpected: RouteCase['expected'] = {
  timeout: { status: 504, code: 500000, message: /P云 did not answer in time/ },
  garbage: { status: 502, code: 500000, message: /P云 answered something unreadable/ },
  'http 503': { status: 502, code: 500000, message: /P云 HTTP 503/ },
  dropped: { status: 502, code: 500000, message: /P云 unreachable/ },
  unreachable: { status: 502, code: 500000, message: /P云 unreachable/ },
};

const dianpingExpected: RouteCase['expected'] = {
  timeout: { status: 504, code: '3009013', message: /P云 answered too late/ },
  garbage: { status: 502, code: '3009015', message: /P云 answer unreadable/ },
  'http 503': { status: 502, code: '3009015', message: /P云 HTTP 503/ },
  dropped: { status: 502, code: '3009014', message: /P云 unreachable/ },
  unreachable: { status: 502, code: '3009014', message: /P云 unreachable/ },
};

function statusSync(couponId: string): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-fault',
    stock_id: 'cb-demo-001',
    coupon_id: couponId,
    coupon_status: 2,
    usage_time: '2024-03-01T10:15:30.120+08:00',
  };
}

const routes: RouteCase[] = [
  {
    route: 'tencent.coupon-status-rsync',
    upstreamPath: GRANT_SYNC_PATH,
    async prepare(s) {
      const { couponId } = await claimCoupon(s);
      return () => s.tencent('/tencent/coupon/status/rsync', statusSync(couponId));
    },
    expected: tencentExpected,
    success: { code: 0, message: 'successful' },
    repeat: { code: 0, message: 'successful' },
  },
  {
    route: 'tencent.coupon-rsync',
    upstreamPath: GRANT_SYNC_PATH,
    async prepare(s) {
      const { couponId } = await claimCoupon(s);
      return () =>
        s.tencent('/tencent/coupon/rsync', {
          ...statusSync(couponId),
          app_id: 'wx1111111111',
          coupon_type: 1,
          fixed_normal_coupon: { coupon_amount: 500, transaction_minimum: 0 },
          available_begin_time: '2024-01-01T00:00:00.000+08:00',
          available_end_time: '2030-01-01T00:00:00.000+08:00',
          receive_time: '2024-02-01T00:00:00.000+08:00',
        });
    },
    expected: tencentExpected,
    success: { code: 0, message: 'successful' },
    repeat: { code: 0, message: 'successful' },
  },
  {
    route: 'tencent.sp-coupon-receive',
    upstreamPath: EVENT_PATH,
    async prepare(s) {
      const msg = {
        app_channel_id: 0,
        user_code: `u-${randomUUID().slice(0, 8)}`,
        stock_id: 'cb-demo-001',
        request_id: randomUUID().replace(/-/g, ''),
        extra: '{"plate":"川A660P1"}',
      };
      return async () => {
        const r = await s.tencent('/tencent/sp/coupon/receive', msg);
        // the success answer carries the new coupon: compare its envelope only
        return r.json?.code === 0 ? { ...r, json: { code: 0, message: r.json.message } } : r;
      };
    },
    expected: tencentExpected,
    success: { code: 0, message: 'successful' },
    repeat: { code: 0, message: 'successful' },
  },
  ...[
    ['dianping.consume-coupon', '/dianping/api/coupon/consumeCoupon'],
    ['dianping.consume-coupon-order', '/dianping/api/coupon/consumeCouponOrder'],
  ].map(([route, path]): RouteCase => ({
    route,
    upstreamPath: GRANT_SYNC_PATH,
    async prepare(s) {
      const msg = {
        couponCode: uniq('DPF'),
        shopName: '点评停车场',
        consumeTime: CONSUME_TIME,
        orderId: uniq('ORD'),
        orderAmount: '30.00',
        payAmount: '25.00',
        freightFee: '0',
        attributes: '{}',
      };
      return () => dianping(s, path, msg);
    },
    expected: dianpingExpected,
    success: { status: 'success' },
    repeat: duplicate,
  })),
  {
    route: 'dianping.consume-core-coupon',
    upstreamPath: GRANT_SYNC_PATH,
    async prepare(s) {
      const msg = { couponCode: uniq('DPF'), consumeTime: CONSUME_TIME };
      return () => dianping(s, '/dianping/api/coupon/consumeCoreCoupon', msg);
    },
    expected: dianpingExpected,
    success: { status: 'success' },
    repeat: duplicate,
  },
];

let stack: Stack;
let closedPort: number;

before(async () => {
  stack = await startStack({ pyunTimeoutMs: TIMEOUT_MS, extraYaml: parkPosYaml });
  // a port nothing listens on: bound, then released
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closedPort = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
});
after(async () => {
  await stack.close();
});

/** Runs fn with P云's client pointed at a port nothing listens on. */
async function withPyunUnreachable<T>(fn: () => Promise<T>): Promise<T> {
  const u = stack.running.rt.upstreams.get('pyun')!;
  const original: UpstreamClient = u.client;
  const dead = getDialect('pyun').createClient({
    baseUrl: `http://127.0.0.1:${closedPort}`,
    timeoutMs: TIMEOUT_MS,
    inFlight: u.inFlight,
  });
  u.client = dead;
  try {
    return await fn();
  } finally {
    u.client = original;
    await dead.close();
  }
}

function faultFor(kind: Kind, path: string): Fault | undefined {
  switch (kind) {
    case 'timeout':
      return { mode: 'slow', delayMs: TIMEOUT_MS + 2000, path, times: 1 };
    case 'garbage':
      return { mode: 'garbage', path, times: 1 };
    case 'http 503':
      return { mode: 'http', status: 503, body: 'Service Unavailable', path, times: 1 };
    case 'dropped':
      return { mode: 'down', path, times: 1 };
    default:
      return undefined;
  }
}

const calls = (path: string) => stack.sandbox.requests({ target: 'pyun', path }).length;

for (const rc of routes) {
  describe(`${rc.route}: P云 failures`, () => {
    for (const kind of kinds) {
      test(`${kind} → the mapped error, P云 reached ${kind === 'unreachable' ? 'never' : 'once'}; the retry succeeds and a repeat is not sent`, async () => {
        const send = await rc.prepare(stack);
        stack.sandbox.clear();
        const fault = faultFor(kind, rc.upstreamPath);
        if (fault) stack.sandbox.fault('pyun', fault);
        const failed = kind === 'unreachable' ? await withPyunUnreachable(send) : await send();
        const want = rc.expected[kind];
        assert.equal(failed.status, want.status, failed.body);
        assert.equal(failed.json.code, want.code, failed.body);
        assert.match(failed.json.message, want.message);
        assert.equal(
          calls(rc.upstreamPath),
          kind === 'unreachable' ? 0 : 1,
          'P云 calls for the failed attempt',
        );

        const retried = await send();
        assert.deepEqual(retried.json, rc.success, retried.body);
        const afterRetry = calls(rc.upstreamPath);
        assert.equal(afterRetry, kind === 'unreachable' ? 1 : 2, 'the retry reaches P云 once');

        const repeated = await send();
        assert.deepEqual(repeated.json, rc.repeat, repeated.body);
        assert.equal(calls(rc.upstreamPath), afterRetry, 'a repeat after success is never sent again');
      });
    }
  });
}
