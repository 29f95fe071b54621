import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialects, encodeForm } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { FORM, send } from './http';

const POS = { app_key: 'dp-sandbox-key', secret: 'dianping-sandbox-secret' };
const creds: Credentials = { keyId: POS.app_key, secret: POS.secret, scheme: 'dianping-sha1' };
const order = (orderId: string, couponCode: string, extra: Record<string, unknown> = {}) => ({
  couponCode,
  shopName: '停车场A',
  consumeTime: '1618994563000',
  orderId,
  orderAmount: '20.00',
  payAmount: '15.50',
  freightFee: '0',
  attributes: '{"plate":"粤B660PP"}',
  ...extra,
});
const call = (
  operation: string,
  fields: Record<string, unknown>,
  method: 'GET' | 'POST' = 'POST',
  c = creds,
) =>
  dialects.dianping.buildRequest(
    { method, path: `/api/coupon/${operation}`, encoding: method === 'GET' ? 'query' : 'form' },
    fields,
    c,
  );

describe('Dianping sandbox', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ pyun: { app_id: 'op', app_secret: 'x' }, dianping: POS });
  });
  after(() => sb.close());

  test('consumes a signed consumeCoupon by POST form and by GET query', async () => {
    assert.deepEqual((await send(sb.dianpingUrl, call('consumeCoupon', order('O-1', 'DP1')))).json, {
      status: 'success',
    });
    const get = await send(sb.dianpingUrl, call('consumeCoupon', order('O-2', '["DP2","DP3"]'), 'GET'));
    assert.deepEqual(get.json, { status: 'success' });
  });

  test('answers 3001001 to an orderId consumed before, but not to a retry after a failure', async () => {
    const failed = await send(
      sb.dianpingUrl,
      call('consumeCoupon', order('O-3', 'DP4', { payAmount: 'abc' })),
    );
    assert.equal(failed.json.status, 'error');
    assert.equal(
      (await send(sb.dianpingUrl, call('consumeCoupon', order('O-3', 'DP4')))).json.status,
      'success',
    );
    const again = await send(sb.dianpingUrl, call('consumeCoupon', order('O-3', 'DP4')));
    assert.deepEqual(again.json, { status: 'error', code: '3001001', message: '订单号重复' });
  });

  test('rejects a changed value with the signature code and the masked string-to-sign', async () => {
    const req = call('consumeCoupon', order('O-4', 'DP5'));
    const r = await send(sb.dianpingUrl, { ...req, body: req.body?.replace('O-4', 'O-5') });
    assert.equal(r.json.code, dialects.dianping.codes.CB_SIGN_MISMATCH);
    assert.match(String(r.json.message), /dp-sandbox-key.*\*\*\*/);
    assert.ok(!r.text.includes(POS.secret));
  });

  test('rejects an unknown appkey and a missing sign', async () => {
    const other = await send(
      sb.dianpingUrl,
      call('consumeCoupon', order('O-6', 'DP6'), 'POST', { ...creds, keyId: 'nobody' }),
    );
    assert.equal(other.json.code, dialects.dianping.codes.CB_UNKNOWN_PARTNER);
    const unsigned = await send(sb.dianpingUrl, {
      method: 'POST',
      path: '/api/coupon/consumeCoupon',
      headers: FORM,
      body: encodeForm({ appkey: POS.app_key, ...order('O-6', 'DP6') }),
    });
    assert.equal(unsigned.json.code, dialects.dianping.codes.CB_SIGN_MISSING);
  });

  test('names a missing required field', async () => {
    const { shopName: _omitted, ...fields } = order('O-7', 'DP7');
    const r = await send(sb.dianpingUrl, call('consumeCoupon', fields));
    assert.equal(r.json.code, dialects.dianping.codes.CB_SCHEMA_INVALID);
    assert.match(String(r.json.message), /shopName/);
  });

  test('links consumeCoreCoupon and consumeExtendCoupon, with 3001002 and 3001003', async () => {
    const core = await send(
      sb.dianpingUrl,
      call('consumeCoreCoupon', { couponCode: 'DP8', consumeTime: '1618994563000' }),
    );
    assert.equal(core.json.status, 'success');
    const unknown = await send(sb.dianpingUrl, call('consumeExtendCoupon', order('O-8', 'DP-NEVER')));
    assert.equal(unknown.json.code, '3001002');
    const mismatch = await send(
      sb.dianpingUrl,
      call('consumeExtendCoupon', order('O-8', '["DP8","DP-NEVER"]')),
    );
    assert.equal(mismatch.json.code, '3001003');
    assert.equal(
      (await send(sb.dianpingUrl, call('consumeExtendCoupon', order('O-8', 'DP8')))).json.status,
      'success',
    );
    const other = await send(sb.dianpingUrl, call('consumeExtendCoupon', order('O-8', 'DP9')));
    assert.equal(other.json.code, '3001003');
  });

  test('consumeCouponOrder consumes a new order, refunds a known one, then answers 3002001', async () => {
    const req = () => call('consumeCouponOrder', order('O-10', 'DP10'));
    assert.equal((await send(sb.dianpingUrl, req())).json.status, 'success');
    assert.equal((await send(sb.dianpingUrl, req())).json.status, 'success');
    assert.equal((await send(sb.dianpingUrl, req())).json.code, '3002001');
  });

  test('refuses to refund an order created without its details (3002002)', async () => {
    const bare = {
      orderId: 'O-11',
      shopName: 'A',
      consumeTime: '1618994563000',
      payAmount: '1.00',
      couponCode: 'DP11',
    };
    assert.equal((await send(sb.dianpingUrl, call('consumeCouponOrder', bare))).json.status, 'success');
    assert.equal((await send(sb.dianpingUrl, call('consumeCouponOrder', bare))).json.code, '3002002');
  });

  test('answers an unknown API with the route code', async () => {
    const r = await send(sb.dianpingUrl, call('consumeSomething', order('O-12', 'DP12')));
    assert.equal(r.json.code, dialects.dianping.codes.CB_ROUTE_NOT_FOUND);
  });

  test('verifies the router scheme when configured for it', async () => {
    const router = await startSandbox({
      pyun: { app_id: 'op', app_secret: 'x' },
      dianping: { ...POS, scheme: 'dianping-router-md5' },
    });
    try {
      const c: Credentials = { ...creds, scheme: 'dianping-router-md5' };
      const ok = await send(router.dianpingUrl, call('consumeCoupon', order('R-1', 'DPR1'), 'POST', c));
      assert.deepEqual(ok.json, { status: 'success' });
      const classic = await send(router.dianpingUrl, call('consumeCoupon', order('R-2', 'DPR2')));
      assert.equal(classic.json.status, 'error');
    } finally {
      await router.close();
    }
  });

  test('verifies the published Dianping example before looking at the fields', async () => {
    const vectors = JSON.parse(readFileSync(join(__dirname, '../fixtures/vectors.json'), 'utf8')) as {
      vectors: Array<{
        id: string;
        app_key?: string;
        secret: string;
        params: Record<string, string>;
        sign: string;
      }>;
    };
    const v = vectors.vectors.find((x) => x.id === 'dianping-doc-example');
    assert.ok(v?.app_key);
    const doc = await startSandbox({
      pyun: { app_id: 'op', app_secret: 'x' },
      dianping: { app_key: v.app_key, secret: v.secret },
    });
    try {
      const query = (sign: string) => encodeForm({ appkey: v.app_key ?? '', ...v.params, sign });
      const good = await send(doc.dianpingUrl, {
        method: 'GET',
        path: `/api/coupon/consumeCoupon?${query(v.sign)}`,
        headers: {},
      });
      assert.equal(good.json.code, dialects.dianping.codes.CB_SCHEMA_INVALID);
      const flipped = v.sign.slice(0, -1) + (v.sign.endsWith('2') ? '3' : '2');
      const bad = await send(doc.dianpingUrl, {
        method: 'GET',
        path: `/api/coupon/consumeCoupon?${query(flipped)}`,
        headers: {},
      });
      assert.equal(bad.json.code, dialects.dianping.codes.CB_SIGN_MISMATCH);
    } finally {
      await doc.close();
    }
  });
});
