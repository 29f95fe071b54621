import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, getScheme } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { startSandbox, TENCENT_PREFIX, type Sandbox } from '../../src/sandbox';
import { send } from './http';

const SP = { api_key: 'SANDBOXSPKEY', secret: 'tencent-sandbox-secret' };
const creds: Credentials = { keyId: SP.api_key, secret: SP.secret, scheme: 'tencent-md5' };
const used = {
  app_channel_id: 0,
  user_code: 'udxbxd',
  stock_id: 'test001',
  coupon_id: '1572355050',
  coupon_status: 2,
  usage_time: '2020-08-21T13:29:35.120+08:00',
};
const build = (path: string, fields: Record<string, unknown>, now?: Date, c: Credentials = creds) =>
  dialects.tencent.buildRequest({ method: 'POST', path, encoding: 'json' }, fields, c, now);

/** A body signed by hand, so that timestamp and nonce are chosen by the test. */
function signed(fields: Record<string, unknown>): {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
} {
  const sign = getScheme('tencent-md5').sign({ params: fields }, SP.secret).sign;
  return {
    method: 'POST',
    path: '/coupon/status/rsync',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...fields, sign }),
  };
}

describe('Tencent sandbox', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ pyun: { app_id: 'op', app_secret: 'x' }, tencent: SP });
  });
  after(() => sb.close());

  test('mounts under /openplatform/api/v1/coupon like production', () => {
    assert.ok(sb.tencentUrl.endsWith(TENCENT_PREFIX));
  });

  for (const path of ['/coupon/status/rsync', '/stock/status/rsync']) {
    test(`accepts a correctly signed ${path}`, async () => {
      const fields = path === '/stock/status/rsync' ? { stock_id: 'test001', stock_status: 3 } : used;
      const r = await send(sb.tencentUrl, build(path, fields));
      assert.deepEqual(r.json, { code: 0, message: 'successful' });
    });
  }

  test('accepts /coupon/rsync and /stock/rsync with their required fields', async () => {
    const coupon = {
      ...used,
      app_id: 'wx11111111',
      coupon_type: 1,
      available_begin_time: '2020-07-20T13:29:35.120+08:00',
      available_end_time: '2020-08-20T13:29:35.120+08:00',
      receive_time: '2020-08-20T13:29:35.120+08:00',
      fixed_normal_coupon: { coupon_amount: 1000, transaction_minimum: 10000 },
    };
    assert.equal((await send(sb.tencentUrl, build('/coupon/rsync', coupon))).json.code, 0);
    const stock = {
      app_channel_id: 0,
      app_id: 'wx1111111111',
      stock_id: 'test001',
      stock_name: '停车5元券',
      instructions: '说明',
      coupon_name: '停车券',
      coupon_desc: '满10元可用',
      coupon_type: 1,
      max_coupons: 1000,
      max_coupons_per_user: 1,
      available_begin_time: '2020-07-20T13:29:35.120+08:00',
      available_end_time: '2020-08-20T13:29:35.120+08:00',
      create_time: '2020-07-20T13:29:35.120+08:00',
      stock_status: 3,
    };
    assert.equal((await send(sb.tencentUrl, build('/stock/rsync', stock))).json.code, 0);
    const { create_time: _omitted, ...incomplete } = stock;
    const r = await send(sb.tencentUrl, build('/stock/rsync', incomplete));
    assert.equal(r.json.code, 400000);
    assert.match(String(r.json.message), /create_time/);
  });

  test('rejects a signature over a changed value with 400005', async () => {
    const req = build('/coupon/status/rsync', used);
    const r = await send(sb.tencentUrl, {
      ...req,
      body: req.body?.replace('"coupon_status":2', '"coupon_status":3'),
    });
    assert.equal(r.json.code, 400005);
  });

  test('rejects a timestamp 301 s old with 400004 and accepts one 299 s old', async () => {
    const now = Date.now();
    const stale = await send(sb.tencentUrl, build('/coupon/status/rsync', used, new Date(now - 301_000)));
    assert.equal(stale.json.code, 400004);
    const fresh = await send(sb.tencentUrl, build('/coupon/status/rsync', used, new Date(now - 299_000)));
    assert.equal(fresh.json.code, 0);
  });

  test('accepts a timestamp in milliseconds', async () => {
    const fields = {
      api_key: SP.api_key,
      seq_id: 'ms-1',
      timestamp: String(Date.now()),
      nonce: 'ms-nonce-1',
      ...used,
    };
    assert.equal((await send(sb.tencentUrl, signed(fields))).json.code, 0);
  });

  test('rejects a nonce used twice inside the window with 400004', async () => {
    const fields = {
      api_key: SP.api_key,
      seq_id: 'n-1',
      timestamp: String(Math.floor(Date.now() / 1000)),
      nonce: '1572342077',
      ...used,
    };
    assert.equal((await send(sb.tencentUrl, signed(fields))).json.code, 0);
    const replay = await send(sb.tencentUrl, signed({ ...fields, seq_id: 'n-2' }));
    assert.equal(replay.json.code, 400004);
    assert.match(String(replay.json.message), /nonce/);
  });

  test('rejects an unknown api_key with 400003', async () => {
    const r = await send(
      sb.tencentUrl,
      build('/coupon/status/rsync', used, undefined, { ...creds, keyId: 'OTHER' }),
    );
    assert.equal(r.json.code, 400003);
  });

  test('rejects a missing field, a string where an integer belongs, and a non-JSON body with 400000', async () => {
    const { coupon_id: _omitted, ...noCoupon } = used;
    const missing = await send(sb.tencentUrl, build('/coupon/status/rsync', noCoupon));
    assert.equal(missing.json.code, 400000);
    assert.match(String(missing.json.message), /coupon_id/);
    const typed = await send(sb.tencentUrl, build('/coupon/status/rsync', { ...used, coupon_status: '2' }));
    assert.equal(typed.json.code, 400000);
    const garbage = await send(sb.tencentUrl, {
      method: 'POST',
      path: '/coupon/rsync',
      headers: {},
      body: 'api_key=x',
    });
    assert.equal(garbage.json.code, 400000);
  });

  test('answers 400001 to an unknown URL and 400002 to a GET', async () => {
    assert.equal((await send(sb.tencentUrl, build('/coupon/unknown', used))).json.code, 400001);
    assert.equal(
      (await send(sb.tencentUrl, { method: 'GET', path: '/coupon/rsync', headers: {} })).json.code,
      400002,
    );
  });
});
