/**
 * Test harness: the sandbox upstreams plus a couponbridge server on loopback ports, with a
 * config built from literal test secrets, and helpers to send signed partner messages.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { request } from 'undici';
import type { Logger } from 'winston';
import { createLogger } from '../../src/log';
import { collectSecrets, parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { getDialect } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { signedPyunPush, startSandbox, type Sandbox } from '../../src/sandbox';
import { startServer, type Running } from '../../src/server/start';
import { projectRoot } from '../../src/util/paths';

export const creds = {
  pyunUpstream: { app_id: 'op-cb-test', app_secret: 'pyun-upstream-secret-0001' },
  tencentUpstream: { api_key: 'CBTENCENTKEY', secret: 'tencent-upstream-secret-01' },
  dianpingUpstream: { app_key: 'cbdp', secret: 'dianping-upstream-secret-1' },
  sp: { api_key: 'SPTESTKEY0001', secret: 'sp-partner-secret-00001' },
  pos: { app_key: 'postest', secret: 'pos-partner-secret-0001' },
  legacy: { app_id: 'op-legacy-test', app_secret: 'legacy-partner-secret-01' },
};

export const spCreds: Credentials = {
  keyId: creds.sp.api_key,
  secret: creds.sp.secret,
  scheme: 'tencent-md5',
};
export const legacyCreds: Credentials = {
  keyId: creds.legacy.app_id,
  secret: creds.legacy.app_secret,
  scheme: 'pyun-form-md5',
};

/** Short outbox retries for tests that watch deliveries (pass as `extraYaml`). */
export const fastOutboxYaml =
  'outbox: { retry_schedule_ms: [50, 100, 200, 400], jitter: 0, poll_interval_ms: 20, lease_ms: 2000 }';

/** One entry of a P云 payment push's `mcoupons` (seed 003). */
export function pushedCoupon(grantSerial: string, code: string): Record<string, string> {
  return {
    coupon_name: '5元停车券',
    coupon_code: code,
    store_name: '肯德基',
    store_code: '4911419421',
    coupon_type: '1',
    coupon_value: '500',
    grant_time: '1618994000000',
    grant_serial: grantSerial,
  };
}

/** A P云 payment push paying with one coupon (the seed's example values); sign it with signedPyunPush. */
export function paymentPushFields(paySerial: string, grantSerial: string): Record<string, string> {
  return {
    park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
    park_name: 'P云支付体验-停车场',
    parking_serial: '591668151763415041',
    pay_serial: paySerial,
    pay_value: '100',
    pay_time: '1618994563000',
    plate: '川A660P1',
    channel: '200102',
    identity: '5aeV05nlt6/ig4LplITisYg=',
    discounts: '[]',
    mcoupons: JSON.stringify([pushedCoupon(grantSerial, 'MC1')]),
  };
}

/** Claims a coupon of cb-demo-001 as the test SP and returns its Tencent and P云 identities. */
export async function claimCoupon(
  s: Stack,
  userCode = `u-${randomUUID().slice(0, 8)}`,
): Promise<{ couponId: string; grantSerial: string; requestId: string }> {
  const requestId = randomUUID().replace(/-/g, '');
  const res = await s.tencent('/tencent/sp/coupon/receive', {
    app_channel_id: 0,
    user_code: userCode,
    stock_id: 'cb-demo-001',
    request_id: requestId,
    extra: '{"plate":"川A660P1"}',
  });
  assert.equal(res.json?.code, 0, res.body);
  const c = await s.running.rt.store.getCoupon({ couponId: res.json.data.coupon_id });
  return { couponId: c!.couponId!, grantSerial: c!.grantSerial!, requestId };
}

/** The SP invalidates a coupon of cb-demo-001 it owns (T4, coupon_status 3: a refund); expects code 0. */
export async function deactivateCoupon(s: Stack, couponId: string, userCode: string): Promise<void> {
  const res = await s.tencent('/tencent/sp/coupon/deactivate', {
    app_channel_id: 0,
    user_code: userCode,
    mobile_phone: '13911112222',
    stock_id: 'cb-demo-001',
    coupon_id: couponId,
    coupon_status: 3,
    reason: '用户申请退款',
  });
  assert.equal(res.json.code, 0, res.body);
}

/** A Tencent /coupon/status/rsync body for a coupon of cb-demo-001: 2 used, 3 expired. */
export function statusSyncFields(
  couponId: string,
  status: 2 | 3,
  userCode = 'u-sync',
): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: userCode,
    stock_id: 'cb-demo-001',
    coupon_id: couponId,
    coupon_status: status,
    usage_time: status === 2 ? '2024-03-01T10:15:30.120+08:00' : undefined,
    event_time: '2024-03-01T10:15:31.000+08:00',
  };
}

/** P云 pushes the payment of an order that used the coupon `grantSerial` (P1), signed by the sandbox. */
export function pushPayment(s: Stack, paySerial: string, grantSerial: string) {
  const body = signedPyunPush(
    paymentPushFields(paySerial, grantSerial),
    creds.pyunUpstream.app_id,
    creds.pyunUpstream.app_secret,
  );
  return s.post('/pyun/notify/payment', body, {
    'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
  });
}

/**
 * The shipped mappings in a temporary directory, with `partners` (default: the test SP, sp-test)
 * allowed on every catalogue stock besides the demo SP, and `extraStocks` (YAML entries indented
 * under `stocks:`) appended to the catalogue.
 */
export function testMappings(extraStocks = '', partners = ['sp-test']): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-mappings-'));
  cpSync(join(projectRoot(), 'mappings'), dir, { recursive: true });
  const file = join(dir, 'stocks.yaml');
  const catalogue = readFileSync(file, 'utf8').replaceAll(
    'partners: [sp-demo]',
    `partners: [${['sp-demo', ...partners].join(', ')}]`,
  );
  writeFileSync(file, catalogue + extraStocks);
  return dir;
}

export interface StackOptions {
  store?: string;
  mappings?: string;
  pyunTimeoutMs?: number;
  /** upstreams.pyun.push_secret (absent: P云 pushes are verified with app_secret). */
  pyunPushSecret?: string;
  /** upstreams.pyun.max_in_flight (default: the configuration default). */
  pyunMaxInFlight?: number;
  bodyLimit?: number;
  extraYaml?: string;
  /** Default: errors only, to the console. */
  logger?: Logger;
  /** Every log line (all levels, redacted with the configured secrets as in production) goes here. */
  logStream?: Writable;
}

export function testConfig(
  urls: { pyun: string; tencent?: string; dianping?: string },
  o: StackOptions = {},
): Config {
  const yaml = `
server: { host: 127.0.0.1, port: 0, body_limit_bytes: ${o.bodyLimit ?? 65536}, shutdown_grace_ms: 500 }
store: "${o.store ?? 'sqlite::memory:'}"
mappings: "${o.mappings ?? testMappings()}"
log: { level: error }
upstreams:
  pyun: { base_url: "${urls.pyun}", app_id: ${creds.pyunUpstream.app_id}, app_secret: ${creds.pyunUpstream.app_secret}, timeout_ms: ${o.pyunTimeoutMs ?? 1500}${o.pyunPushSecret ? `, push_secret: ${o.pyunPushSecret}` : ''}${o.pyunMaxInFlight ? `, max_in_flight: ${o.pyunMaxInFlight}` : ''} }
${urls.tencent ? `  tencent: { base_url: "${urls.tencent}", api_key: ${creds.tencentUpstream.api_key}, secret: ${creds.tencentUpstream.secret}, timeout_ms: 1500 }` : ''}
${urls.dianping ? `  dianping: { base_url: "${urls.dianping}", app_key: ${creds.dianpingUpstream.app_key}, secret: ${creds.dianpingUpstream.secret}, timeout_ms: 1500 }` : ''}
partners:
  - { id: sp-test, dialect: tencent, api_key: ${creds.sp.api_key}, secret: ${creds.sp.secret}, defaults: { park_uuid: park-from-partner-defaults } }
  - { id: pos-test, dialect: dianping, app_key: ${creds.pos.app_key}, secret: ${creds.pos.secret} }
  - { id: legacy-test, dialect: pyun, app_id: ${creds.legacy.app_id}, app_secret: ${creds.legacy.app_secret} }
${o.extraYaml ?? ''}
`;
  return parseConfig(yaml, join(projectRoot(), 'test-config.yaml'), {});
}

export interface Stack {
  sandbox: Sandbox;
  running: Running;
  url: string;
  post(
    path: string,
    body: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; json: any }>;
  tencent(
    path: string,
    fields: Record<string, unknown>,
    opts?: { creds?: Credentials; tamper?: (body: string) => string; now?: Date },
  ): Promise<{ status: number; body: string; json: any }>;
  close(): Promise<void>;
}

/**
 * COUPONBRIDGE_TEST_STORE=postgres://…/db runs the stacks on PostgreSQL instead of in-memory
 * SQLite, each in a schema of its own (dropped on close), so the end-to-end suites can be run
 * against the scale-out store: `COUPONBRIDGE_TEST_STORE=postgres://postgres@127.0.0.1:5432/test
 * node scripts/run-tests.mjs test/e2e`.
 */
function storeFor(o: StackOptions): { url?: string; schema?: string } {
  const base = process.env.COUPONBRIDGE_TEST_STORE;
  if (o.store || !base || !/^postgres(ql)?:\/\//.test(base)) return { url: o.store };
  const schema = `cbe2e_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return { url: `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`, schema };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const { Client } = require('pg') as typeof import('pg');
  const c = new Client({ connectionString: url.split('?')[0] });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const pg = storeFor(o);
  o = { ...o, store: pg.url };
  const sandbox = await startSandbox({
    pyun: creds.pyunUpstream,
    tencent: creds.tencentUpstream,
    dianping: creds.dianpingUpstream,
  });
  const config = testConfig(
    { pyun: sandbox.pyunUrl, tencent: sandbox.tencentUrl, dianping: sandbox.dianpingUrl },
    o,
  );
  const logger =
    o.logger ??
    (o.logStream
      ? createLogger({ level: 'silly', stream: o.logStream, secrets: collectSecrets(config) })
      : createLogger({ level: 'error' }));
  const running = await startServer(config, { logger, watch: false });
  const post = async (
    path: string,
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => {
    const res = await request(`${running.url}${path}`, { method: 'POST', headers, body });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, body: text, json };
  };
  return {
    sandbox,
    running,
    url: running.url,
    post,
    async tencent(path, fields, opts = {}) {
      const built = getDialect('tencent').buildRequest(
        { method: 'POST', path, encoding: 'json' },
        { seq_id: randomUUID(), ...fields },
        opts.creds ?? spCreds,
        opts.now,
      );
      const body = opts.tamper ? opts.tamper(built.body!) : built.body!;
      return post(path, body, built.headers);
    },
    async close() {
      await running.stop();
      await sandbox.close();
      if (pg.url && pg.schema) await dropSchema(pg.url, pg.schema);
    },
  };
}
