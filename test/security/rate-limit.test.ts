/**
 * Issue 12 item 3: per-partner rate limits. The excess is answered with the dialect's "too frequent"
 * code, calls nothing, and is counted per partner in /metrics; other partners are not affected. On
 * PostgreSQL two instances on one schema share one limit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { Client } from 'pg';
import { getDialect } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { startStack, testMappings, type Stack } from '../support/stack';

const limitedYaml = [
  '  - { id: sp-limited, dialect: tencent, api_key: SPLIMITED01, secret: sp-limited-secret-0001, rate_limit: { per_second: 0.05, burst: 3 } }',
  '  - { id: pos-limited, dialect: dianping, app_key: poslimited, secret: pos-limited-secret-001, rate_limit: { per_second: 0.05, burst: 2 } }',
  // its T1 messages name coupons the ledger never held: the legacy fallback sends them to P云
  'grant_serial_fallback: coupon_id',
].join('\n');
/** The shipped mappings with the limited SP allowed on their stocks. */
const limitedMappings = testMappings('', ['sp-limited']);
const spLimited: Credentials = {
  keyId: 'SPLIMITED01',
  secret: 'sp-limited-secret-0001',
  scheme: 'tencent-md5',
};
const posLimited: Credentials = {
  keyId: 'poslimited',
  secret: 'pos-limited-secret-001',
  scheme: 'dianping-sha1',
};
const T1 = '/tencent/coupon/status/rsync';

/** An "available" status sync: recorded, no upstream call — cheap to send many. */
function available(): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-rl',
    stock_id: 'cb-demo-001',
    coupon_id: `C${randomUUID().slice(0, 8)}`,
    coupon_status: 1,
    event_time: '2024-03-01T10:15:31.000+08:00',
  };
}

async function metricsText(stack: Stack): Promise<string> {
  return (await request(`${stack.url}/metrics`)).body.text();
}

describe('rate limits on one instance (memory)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ mappings: limitedMappings, extraYaml: limitedYaml });
  });
  after(async () => {
    await stack.close();
  });

  test('a Tencent partner over its burst gets 400101 and nothing is called; others are unaffected', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await stack.tencent(T1, available(), { creds: spLimited })).json.code);
    assert.deepEqual(codes, [0, 0, 0, 400101, 400101]);
    const limited = await stack.tencent(T1, available(), { creds: spLimited });
    assert.equal(limited.status, 429);
    assert.match(limited.json.message, /sp-limited is over its rate limit/);
    // the test partner without a rate_limit keeps going
    for (let i = 0; i < 5; i++) assert.equal((await stack.tencent(T1, available())).json.code, 0);
    assert.match(await metricsText(stack), /couponbridge_rate_limited_total\{partner="sp-limited"\} 3/);
  });

  test('a refused request calls nothing upstream', async () => {
    const before = stack.sandbox.requests().length;
    const res = await stack.tencent(
      T1,
      { ...available(), coupon_status: 2, usage_time: '2024-03-01T10:15:30.120+08:00' },
      { creds: spLimited },
    );
    assert.equal(res.json.code, 400101);
    assert.equal(stack.sandbox.requests().length, before);
  });

  test('a Dianping partner gets the adapter code 3009028', async () => {
    const path = '/dianping/api/coupon/consumeCoreCoupon';
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const built = getDialect('dianping').buildRequest(
        { method: 'POST', path, encoding: 'form' },
        { couponCode: `DP-${randomUUID()}`, consumeTime: Date.now() },
        posLimited,
      );
      codes.push((await stack.post(path, built.body!, built.headers)).json.code ?? 'success');
    }
    // the first two reach the flow (an unknown coupon), the third is refused before it
    assert.notEqual(codes[0], '3009028');
    assert.notEqual(codes[1], '3009028');
    assert.equal(codes[2], '3009028');
  });

  test('an unsigned flood under a limited partner key does not spend its allowance', async () => {
    const fresh = await startStack({ mappings: limitedMappings, extraYaml: limitedYaml });
    try {
      for (let i = 0; i < 5; i++) {
        const forged = await fresh.tencent(T1, available(), {
          creds: { ...spLimited, secret: 'forged-secret-000000001' },
        });
        assert.equal(forged.json.code, 400005);
      }
      assert.equal((await fresh.tencent(T1, available(), { creds: spLimited })).json.code, 0);
    } finally {
      await fresh.close();
    }
  });
});

describe('rate limits across two instances on one PostgreSQL schema', () => {
  const base = process.env.COUPONBRIDGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `cbrl_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let a: Stack;
  let b: Stack;
  before(async () => {
    const store = `${base}?schema=${schema}`;
    a = await startStack({ store, mappings: limitedMappings, extraYaml: limitedYaml });
    b = await startStack({ store, mappings: limitedMappings, extraYaml: limitedYaml });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    const c = new Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  test('a burst of 3 is shared: alternating between the instances, the fourth request is refused', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const stack = i % 2 === 0 ? a : b;
      codes.push((await stack.tencent(T1, available(), { creds: spLimited })).json.code);
    }
    assert.deepEqual(codes, [0, 0, 0, 400101, 400101, 400101]);
    const c = new Client({ connectionString: base });
    await c.connect();
    const rows = await c.query(`SELECT key, points FROM ${schema}.rate_limits`);
    await c.end();
    assert.deepEqual(
      rows.rows.map((r: { key: string; points: number }) => [r.key, r.points]),
      [['partner:sp-limited:all', 6]],
      'the window lives in the store schema, counted by both instances',
    );
  });
});
