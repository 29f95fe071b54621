/**
 * PostgreSQL faults under traffic: couponbridge reaches the real server through a TCP relay
 * (test/support/tcp-relay.ts) that is cut — connections reset, then a blackhole that only timeouts
 * notice — and restored. While cut, every exchange is answered in its caller's dialect with the
 * "system error, retry" code and HTTP 503 within the upstream timeout + 5 s, /readyz answers 503
 * naming the store, the outbox worker pauses; once restored, requests succeed again and the
 * notification accepted before the cut is delivered, without a restart. The process surviving is
 * the test runner itself surviving. Each answer's status, code and time are printed for the record.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { request } from 'undici';
import { signedPyunPush } from '../../src/sandbox';
import { creds, pushedCoupon, startStack, type Stack } from '../support/stack';
import { startTcpRelay, type CutMode, type TcpRelay } from '../support/tcp-relay';
import { dianping, parkPosYaml, uniq } from '../e2e/dianping-client';

const baseUrl = process.env.COUPONBRIDGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PYUN_TIMEOUT_MS = 1500;
const BOUND_MS = PYUN_TIMEOUT_MS + 5000;
const schema = `cbfault_${randomBytes(6).toString('hex')}`;

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: baseUrl, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const reachability = (): Promise<string | undefined> =>
  admin((c) => c.query('SELECT 1')).then(
    () => undefined,
    (e: Error) => e.message,
  );

const form = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// An error nobody handled would end a real process: here it is collected and fails the test.
const escaped: unknown[] = [];
process.on('uncaughtException', (e) => escaped.push(e));
process.on('unhandledRejection', (e) => escaped.push(e));

let relay: TcpRelay;
let stack: Stack;

interface Sent {
  name: string;
  status: number;
  code: unknown;
  ms: number;
  message: unknown;
}

/** One exchange of each dialect, timed. */
async function traffic(s: Stack, grantSerial: string): Promise<Sent[]> {
  const timed = async (name: string, send: () => Promise<{ status: number; json: any }>) => {
    const t0 = performance.now();
    const r = await send();
    return {
      name,
      status: r.status,
      code: r.json?.code ?? r.json?.status,
      ms: Math.round(performance.now() - t0),
      message: r.json?.message as unknown,
    };
  };
  return Promise.all([
    timed('tencent T1 status sync', () =>
      s.tencent('/tencent/coupon/status/rsync', {
        app_channel_id: 0,
        user_code: 'u-fault',
        stock_id: 'cb-demo-001',
        coupon_id: `C${randomUUID().slice(0, 8)}`,
        coupon_status: 2,
      }),
    ),
    timed('tencent T2 claim', () =>
      s.tencent('/tencent/sp/coupon/receive', {
        app_channel_id: 0,
        user_code: `u-${randomUUID().slice(0, 8)}`,
        stock_id: 'cb-demo-001',
        request_id: randomUUID().replace(/-/g, ''),
        extra: '{"plate":"川A660P1"}',
      }),
    ),
    timed('pyun P1 payment push', () => s.post('/pyun/notify/payment', push(grantSerial), form)),
    timed('dianping D1 consume', () =>
      dianping(s, '/dianping/api/coupon/consumeCoupon', {
        couponCode: uniq('DP'),
        shopName: '点评停车场',
        consumeTime: Date.now(),
        orderId: uniq('ORD'),
        orderAmount: '30.00',
        payAmount: '25.00',
        freightFee: '0',
        attributes: '{}',
      }),
    ),
  ]);
}

function push(grantSerial: string): string {
  return signedPyunPush(
    {
      park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
      park_name: 'P云支付体验-停车场',
      parking_serial: '591668151763415041',
      pay_serial: `PS${randomUUID().slice(0, 12)}`,
      pay_value: '100',
      pay_time: String(Date.now()),
      plate: '川A660P1',
      channel: '200102',
      identity: '5aeV05nlt6/ig4LplITisYg=',
      discounts: '[]',
      mcoupons: JSON.stringify([pushedCoupon(grantSerial, 'MC1')]),
    },
    creds.pyunUpstream.app_id,
    creds.pyunUpstream.app_secret,
  );
}

/** The system-error-retry code of each dialect (docs/errors.md, CB_STORE_UNAVAILABLE). */
const retryCode: Record<string, unknown> = {
  'tencent T1 status sync': 500000,
  'tencent T2 claim': 500000,
  'pyun P1 payment push': '1500',
  'dianping D1 consume': '3009025',
};

/** Claims sent back to back by `workers` senders until stopped: the traffic the cut lands in. */
function startLoad(s: Stack, workers = 4) {
  const answers: Array<{ status: number; code: unknown; couponId?: string; ms: number }> = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const t0 = performance.now();
      const r = await s.tencent('/tencent/sp/coupon/receive', {
        app_channel_id: 0,
        user_code: `u-${randomUUID().slice(0, 8)}`,
        stock_id: 'cb-demo-001',
        request_id: randomUUID().replace(/-/g, ''),
        extra: '{"plate":"川A660P1"}',
      });
      answers.push({
        status: r.status,
        code: r.json?.code,
        couponId: r.json?.data?.coupon_id,
        ms: Math.round(performance.now() - t0),
      });
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

async function readyz(s: Stack): Promise<{ status: number; json: any }> {
  const r = await request(`${s.url}/readyz`);
  return { status: r.statusCode, json: await r.body.json() };
}

async function claimCoupon(s: Stack): Promise<{ couponId: string; grantSerial: string }> {
  const res = await s.tencent('/tencent/sp/coupon/receive', {
    app_channel_id: 0,
    user_code: `u-${randomUUID().slice(0, 8)}`,
    stock_id: 'cb-demo-001',
    request_id: randomUUID().replace(/-/g, ''),
    extra: '{"plate":"川A660P1"}',
  });
  assert.equal(res.json.code, 0, res.body);
  const c = await s.running.rt.store.getCoupon({ couponId: res.json.data.coupon_id });
  return { couponId: c!.couponId!, grantSerial: c!.grantSerial! };
}

describe('PostgreSQL cut and restored under traffic', async () => {
  const down = await reachability();
  if (down && process.env.CI !== 'true') {
    console.error(`\n*** PostgreSQL unreachable at ${baseUrl} (${down}): SKIPPING the fault tests ***\n`);
    test('PostgreSQL faults', { skip: `PostgreSQL unreachable: ${down}` }, () => undefined);
    return;
  }
  before(async () => {
    if (down) assert.fail(`PostgreSQL unreachable at ${baseUrl}: ${down}`);
    const u = new URL(baseUrl);
    relay = await startTcpRelay({ host: u.hostname, port: Number(u.port || 5432) });
    u.host = `${relay.host}:${relay.port}`;
    u.searchParams.set('schema', schema);
    stack = await startStack({
      store: u.toString(),
      pyunTimeoutMs: PYUN_TIMEOUT_MS,
      // Retries every 300 ms for long enough to outlast a cut.
      extraYaml: `${parkPosYaml}\noutbox: { retry_schedule_ms: [${Array(40).fill(300).join(', ')}], jitter: 0, poll_interval_ms: 50, lease_ms: 2000 }`,
    });
  });
  after(async () => {
    await stack?.close();
    await relay?.close();
    await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  });

  for (const mode of ['close', 'blackhole'] as CutMode[]) {
    test(`${mode}: 503 in each dialect within the bound, readyz names the store, the outbox pauses and resumes`, async () => {
      const { grantSerial } = await claimCoupon(stack);
      const before = await traffic(stack, grantSerial);
      for (const r of before) assert.equal(r.status, 200, `${r.name} before the cut: ${JSON.stringify(r)}`);

      // A notification accepted before the cut, held back by Tencent being down, must survive it.
      const held = await claimCoupon(stack);
      stack.sandbox.fault('tencent', { mode: 'down' });
      const accepted = await stack.post('/pyun/notify/payment', push(held.grantSerial), form);
      assert.equal(accepted.json.code, '1001', accepted.body);

      const load = startLoad(stack);
      await sleep(200);
      relay.cut(mode);
      const during = await traffic(stack, grantSerial);
      stack.sandbox.fault('tencent', null);
      for (const r of during) {
        console.log(
          `[fault] postgres ${mode}: ${r.name} → HTTP ${r.status}, code ${String(r.code)}, ${r.ms} ms`,
        );
        assert.equal(r.status, 503, JSON.stringify(r));
        assert.equal(r.code, retryCode[r.name], JSON.stringify(r));
        assert.ok(r.ms <= BOUND_MS, `${r.name} took ${r.ms} ms (bound ${BOUND_MS})`);
      }
      const t0 = performance.now();
      const ready = await readyz(stack);
      console.log(
        `[fault] postgres ${mode}: /readyz → HTTP ${ready.status} ${JSON.stringify(ready.json)} in ${Math.round(performance.now() - t0)} ms`,
      );
      assert.equal(ready.status, 503);
      assert.equal(ready.json.store, 'postgres');
      await sleep(300);
      assert.equal(stack.running.outbox?.paused, true, 'the outbox worker pauses while the store is cut');

      relay.restore();
      const restored = performance.now();
      let after: Awaited<ReturnType<typeof traffic>> = [];
      for (let i = 0; i < 40; i++) {
        after = await traffic(stack, grantSerial);
        if (after.every((r) => r.status === 200)) break;
        await sleep(250);
      }
      for (const r of after) assert.equal(r.status, 200, `${r.name} after the restore: ${JSON.stringify(r)}`);
      console.log(
        `[fault] postgres ${mode}: every dialect answered 200 again ${Math.round(performance.now() - restored)} ms after the restore`,
      );
      assert.equal((await readyz(stack)).status, 200);
      const claims = await load.stop();
      const granted = claims.filter((c) => c.status === 200);
      const refused = claims.filter((c) => c.status !== 200);
      console.log(
        `[fault] postgres ${mode}: claims under load ${claims.length}: ${granted.length} granted, ${refused.length} refused 503/500000, slowest ${Math.max(...claims.map((c) => c.ms))} ms`,
      );
      for (const c of refused) assert.deepEqual([c.status, c.code], [503, 500000], JSON.stringify(c));
      for (const c of claims) assert.ok(c.ms <= BOUND_MS, JSON.stringify(c));
      assert.ok(refused.length > 0 && granted.length > 0, 'the cut landed in the traffic');
      // Nothing acknowledged that was not stored.
      for (const c of granted) {
        const coupon = await stack.running.rt.store.getCoupon({ couponId: c.couponId! });
        assert.equal(coupon?.state, 'available', `granted coupon ${c.couponId}`);
      }

      let delivered = false;
      for (let i = 0; i < 60 && !delivered; i++) {
        const items = await stack.running.rt.store.listOutbox({});
        delivered = items.some(
          (it) => (it.payload as any).coupon_id === held.couponId && it.state === 'delivered',
        );
        if (!delivered) await sleep(200);
      }
      assert.ok(delivered, 'the notification accepted before the cut is delivered after it');
      assert.equal(stack.running.outbox?.paused, false, 'the outbox worker resumed');
      assert.deepEqual(escaped.map(String), [], 'no error escaped (each would have ended the process)');
    });
  }
});
