/**
 * Flow P1 end to end (the enqueue side): P云 pushes a paid order with its merchant coupons; each
 * coupon whose origin the ledger knows gets a durable notification in its partner's dialect,
 * stored with the pay_serial dedup record before 1001 is answered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signedPyunPush } from '../../src/sandbox';
import { creds, pushedCoupon, startStack, type Stack, claimCoupon } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.close();
});

const form = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };

function push(fields: Record<string, unknown>, secret = creds.pyunUpstream.app_secret) {
  const body = signedPyunPush(
    {
      park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
      park_name: 'P云支付体验-停车场',
      parking_serial: '591668151763415041',
      pay_value: '100',
      pay_time: '1618994563000',
      plate: '川A660P1',
      channel: '200102',
      identity: '5aeV05nlt6/ig4LplITisYg=',
      discounts: '[]',
      ...fields,
    },
    creds.pyunUpstream.app_id,
    secret,
  );
  return stack.post('/pyun/notify/payment', body, form);
}

const mcoupon = (grantSerial: string, code = 'MC1') => JSON.stringify([pushedCoupon(grantSerial, code)]);

describe('P1 payment push', () => {
  test('a pushed coupon of a Tencent claim enqueues one /coupon/status/rsync and marks the coupon used', async () => {
    const { couponId, grantSerial } = await claimCoupon(stack);
    const paySerial = `PS${Date.now()}`;
    const res = await push({ pay_serial: paySerial, mcoupons: mcoupon(grantSerial) });
    assert.equal(res.json.code, '1001', res.body);
    const items = (await stack.running.rt.store.listOutbox({})).filter(
      (i) => (i.payload as any).coupon_id === couponId,
    );
    assert.equal(items.length, 1);
    const it = items[0];
    assert.equal(it.kind, 'tencent.coupon_status_rsync');
    assert.equal(it.v, 1);
    assert.equal(it.destination, 'tencent');
    const p = it.payload as Record<string, unknown>;
    assert.equal(p.coupon_status, 2);
    assert.equal(p.usage_time, '2021-04-21T16:42:43.000+08:00');
    assert.equal(p.seq_id, it.dedupKey);
    assert.equal((await stack.running.rt.store.getCoupon({ couponId }))?.state, 'used');

    const again = await push({ pay_serial: paySerial, mcoupons: mcoupon(grantSerial) });
    assert.equal(again.json.code, '1001');
    const after = (await stack.running.rt.store.listOutbox({})).filter(
      (i) => (i.payload as any).coupon_id === couponId,
    );
    assert.equal(after.length, 1, 'a repeated pay_serial enqueues nothing again');
  });

  test('a coupon redeemed through its own partner is not echoed back', async () => {
    const { couponId, grantSerial } = await claimCoupon(stack);
    const t1 = await stack.tencent('/tencent/coupon/status/rsync', {
      app_channel_id: 0,
      user_code: 'u',
      stock_id: 'cb-demo-001',
      coupon_id: couponId,
      coupon_status: 2,
    });
    assert.equal(t1.json.code, 0);
    const res = await push({ pay_serial: `PS-echo-${Date.now()}`, mcoupons: mcoupon(grantSerial) });
    assert.equal(res.json.code, '1001');
    const items = (await stack.running.rt.store.listOutbox({})).filter(
      (i) => (i.payload as any).coupon_id === couponId,
    );
    assert.equal(items.length, 0);
  });

  test('a Dianping-origin coupon enqueues one consumeCoupon per partner with orderId = pay_serial', async () => {
    const store = stack.running.rt.store;
    await store.upsertCoupon(
      {
        id: 'dp:DPX1',
        stockId: 'dianping',
        partner: 'pos-test',
        couponCode: 'DPX1',
        grantSerial: 'G-DPX1',
        faceValue: 500,
        state: 'available',
      },
      { actor: 'test', at: new Date() },
    );
    await store.upsertCoupon(
      {
        id: 'dp:DPX2',
        stockId: 'dianping',
        partner: 'pos-test',
        couponCode: 'DPX2',
        grantSerial: 'G-DPX2',
        faceValue: 300,
        state: 'available',
      },
      { actor: 'test', at: new Date() },
    );
    const paySerial = `PS-dp-${Date.now()}`;
    const coupons = [pushedCoupon('G-DPX1', 'DPX1'), pushedCoupon('G-DPX2', 'DPX2')];
    const res = await push({ pay_serial: paySerial, mcoupons: JSON.stringify(coupons) });
    assert.equal(res.json.code, '1001', res.body);
    const items = (await store.listOutbox({})).filter(
      (i) => i.kind === 'dianping.consume_coupon' && (i.payload as any).orderId === paySerial,
    );
    assert.equal(items.length, 1);
    const p = items[0].payload as Record<string, unknown>;
    assert.equal(items[0].dedupKey, paySerial);
    assert.equal(p.couponCode, '["DPX1","DPX2"]');
    assert.equal(p.payAmount, '1.00');
    assert.equal(p.orderAmount, '9.00');
  });

  test('an unknown coupon is acknowledged without a notification', async () => {
    const before = (await stack.running.rt.store.listOutbox({})).length;
    const res = await push({ pay_serial: `PS-unk-${Date.now()}`, mcoupons: mcoupon('NOT-OURS') });
    assert.equal(res.json.code, '1001');
    assert.equal((await stack.running.rt.store.listOutbox({})).length, before);
  });

  test('a push with a bad signature or a broken mcoupons field is not acknowledged', async () => {
    const bad = await push({ pay_serial: 'PS-bad', mcoupons: '[]' }, 'not-the-secret');
    assert.notEqual(bad.json.code, '1001');
    assert.match(bad.json.hint, /app_secret=\*\*\*/);
    const broken = await push({ pay_serial: 'PS-broken', mcoupons: '[{' });
    assert.notEqual(broken.json.code, '1001');
  });

  test('the push verifies over the raw values including unknown extra fields', async () => {
    const res = await push({
      pay_serial: `PS-x-${Date.now()}`,
      mcoupons: '[]',
      brand_new_field: '{"a": 1,  "b":[2]}',
    });
    assert.equal(res.json.code, '1001', res.body);
  });
});

describe('P1 trust: a push secret of its own (issue 11)', () => {
  test('with upstreams.pyun.push_secret set, a push signed with app_secret is refused and one signed with push_secret accepted', async () => {
    const pushSecret = 'pyun-push-secret-000000001';
    const s = await startStack({ pyunPushSecret: pushSecret });
    try {
      const fields = (serial: string) => ({
        park_uuid: 'park-1',
        park_name: 'P云',
        parking_serial: '1',
        pay_serial: serial,
        pay_value: '100',
        pay_time: '1618994563000',
        plate: '川A660P1',
        channel: '200102',
        identity: 'x',
        discounts: '[]',
        mcoupons: '[]',
      });
      const send = (serial: string, secret: string) =>
        s.post(
          '/pyun/notify/payment',
          signedPyunPush(fields(serial), creds.pyunUpstream.app_id, secret),
          form,
        );
      const withAppSecret = await send(`PS-a-${Date.now()}`, creds.pyunUpstream.app_secret);
      assert.notEqual(withAppSecret.json.code, '1001');
      assert.equal(withAppSecret.status, 401);
      const withPushSecret = await send(`PS-p-${Date.now()}`, pushSecret);
      assert.equal(withPushSecret.json.code, '1001', withPushSecret.body);
    } finally {
      await s.close();
    }
  });
});
