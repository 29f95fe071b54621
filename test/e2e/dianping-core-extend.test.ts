/**
 * Flows D2 + D3 end to end over HTTP: consumeCoreCoupon redeems one coupon at the sandbox P云
 * at once; consumeExtendCoupon attaches the order details in the ledger (no P云 call), with the
 * seed's 3001002 / 3001003 refusals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../support/stack';
import { dianping, parkPos, parkPosYaml, redeems, seedCoupon, uniq } from './dianping-client';

const CORE = '/dianping/api/coupon/consumeCoreCoupon';
const EXTEND = '/dianping/api/coupon/consumeExtendCoupon';
const CONSUME_TIME = 1709259330120; // 2024-03-01T02:15:30.120Z
let stack: Stack;

function extend(
  couponCode: string,
  orderId: string,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    couponCode,
    orderId,
    shopName: '点评停车场',
    consumeTime: CONSUME_TIME,
    orderAmount: '12.50',
    payAmount: '7.50',
    freightFee: '0.00',
    attributes: JSON.stringify({ lane: 3 }),
    ...over,
  };
}

before(async () => {
  stack = await startStack({ extraYaml: parkPosYaml });
});
after(async () => {
  await stack.close();
});

describe('D2 consumeCoreCoupon + D3 consumeExtendCoupon', () => {
  test('core redeems at P云 at once, extend attaches the order details without calling P云', async () => {
    stack.sandbox.clear();
    const code = uniq('DPC');
    const core = await dianping(
      stack,
      CORE,
      { couponCode: code, consumeTime: CONSUME_TIME },
      { method: 'GET' },
    );
    assert.deepEqual(core.json, { status: 'success' }, core.body);
    const [f] = redeems(stack);
    assert.equal(f.grant_serial, code);
    assert.equal(f.park_uuid, parkPos.park);
    assert.equal(f.coupon_value, '0');
    assert.equal(f.apply_value, '0');
    assert.equal(f.apply_time, '2024-03-01T02:15:30.120Z');
    const store = stack.running.rt.store;
    const coupon = await store.getCoupon({ couponCode: code });
    assert.equal(coupon?.state, 'used');
    assert.equal(
      (coupon?.attrs?.dianping as { core?: { consumeTime: number } }).core?.consumeTime,
      CONSUME_TIME,
    );

    stack.sandbox.clear();
    const orderId = uniq('ORD');
    const ext = await dianping(stack, EXTEND, extend(code, orderId));
    assert.deepEqual(ext.json, { status: 'success' }, ext.body);
    assert.equal(redeems(stack).length, 0);
    const order = await store.getOrder(parkPos.id, orderId);
    assert.equal(order?.status, 'consumed');
    assert.deepEqual(order?.couponCodes, [code]);
    assert.deepEqual(order?.details, {
      shopName: '点评停车场',
      consumeTime: CONSUME_TIME,
      attributes: { lane: 3 },
      orderAmountFen: 1250,
      payAmountFen: 750,
      freightFeeFen: 0,
      discountFen: 500,
    });
    const again = await dianping(stack, EXTEND, extend(code, orderId), { method: 'GET' });
    assert.deepEqual(again.json, { status: 'success' });
  });

  test('core on a coupon the ledger knows sends its grant serial, park and face value', async () => {
    stack.sandbox.clear();
    const known = await seedCoupon(stack, uniq('DPK'), { faceValue: 800 });
    const res = await dianping(stack, CORE, { couponCode: known.couponCode, consumeTime: CONSUME_TIME });
    assert.deepEqual(res.json, { status: 'success' });
    const [f] = redeems(stack);
    assert.deepEqual(
      [f.grant_serial, f.park_uuid, f.coupon_value, f.apply_value],
      [known.grantSerial, 'park-from-ledger', '800', '800'],
    );
    const history = await stack.running.rt.store.history(known.id);
    assert.deepEqual(history.at(-1)?.to, 'used');
    assert.match(String(history.at(-1)?.reason), /consumeCoreCoupon/);
  });

  test('a coupon core-consumed twice answers 3001001 and P云 is called once', async () => {
    stack.sandbox.clear();
    const code = uniq('DPC');
    const first = await dianping(stack, CORE, { couponCode: code, consumeTime: CONSUME_TIME });
    assert.deepEqual(first.json, { status: 'success' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        dianping(stack, CORE, { couponCode: code, consumeTime: CONSUME_TIME + 1 }),
      ),
    );
    for (const a of answers)
      assert.deepEqual(a.json, { status: 'error', code: '3001001', message: '订单号重复' });
    assert.equal(redeems(stack).length, 1);
  });

  test('core takes one coupon code: a JSON list is a parameter error', async () => {
    const res = await dianping(stack, CORE, { couponCode: '["DP1","DP2"]', consumeTime: CONSUME_TIME });
    assert.equal(res.json.code, '3009011');
    assert.match(res.json.message, /couponCode: this route takes one coupon code, got 2/);
  });

  test('extend for an unknown order whose coupon was never core-consumed answers 3001002', async () => {
    stack.sandbox.clear();
    const never = await dianping(stack, EXTEND, extend(uniq('DPN'), uniq('ORD')));
    assert.deepEqual(never.json, {
      status: 'error',
      code: '3001002',
      message: '订单号不存在,请确认订单号是否正确',
    });
    const known = await seedCoupon(stack, uniq('DPK'), { faceValue: 100 });
    const available = await dianping(stack, EXTEND, extend(String(known.couponCode), uniq('ORD')));
    assert.equal(available.json.code, '3001002');
    assert.equal(redeems(stack).length, 0);
  });

  test('extend with a coupon that is not the order’s answers 3001003', async () => {
    const a = uniq('DPC');
    const b = uniq('DPC');
    for (const code of [a, b]) {
      assert.deepEqual((await dianping(stack, CORE, { couponCode: code, consumeTime: CONSUME_TIME })).json, {
        status: 'success',
      });
    }
    const orderId = uniq('ORD');
    assert.deepEqual((await dianping(stack, EXTEND, extend(a, orderId))).json, { status: 'success' });
    const wrong = await dianping(stack, EXTEND, extend(b, orderId));
    assert.deepEqual(wrong.json, { status: 'error', code: '3001003', message: '优惠券券号不一致，请确认' });
    const moved = await dianping(stack, EXTEND, extend(a, uniq('ORD')));
    assert.equal(moved.json.code, '3001003', 'a coupon already linked to an order cannot start another');
  });

  test('concurrent extends of the same new order all succeed and create one order', async () => {
    const code = uniq('DPC');
    assert.deepEqual((await dianping(stack, CORE, { couponCode: code, consumeTime: CONSUME_TIME })).json, {
      status: 'success',
    });
    const orderId = uniq('ORD');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => dianping(stack, EXTEND, extend(code, orderId))),
    );
    for (const a of answers) assert.deepEqual(a.json, { status: 'success' });
    assert.deepEqual((await stack.running.rt.store.getOrder(parkPos.id, orderId))?.couponCodes, [code]);
  });

  test('a negative discount in the details is a parameter error naming payAmount', async () => {
    const res = await dianping(stack, EXTEND, extend(uniq('DPC'), uniq('ORD'), { payAmount: '99' }));
    assert.equal(res.json.code, '3009011');
    assert.match(res.json.message, /payAmount: 99\.00 exceeds/);
  });

  test('a bad signature on either route is refused in the Dianping envelope', async () => {
    stack.sandbox.clear();
    const res = await dianping(
      stack,
      CORE,
      { couponCode: 'DPSIG1', consumeTime: CONSUME_TIME },
      { tamper: (b) => b.replace('DPSIG1', 'DPSIG2') },
    );
    assert.equal(res.json.status, 'error');
    assert.equal(res.json.code, '3009008');
    const missing = await dianping(stack, EXTEND, extend('DPX', uniq('ORD'), { attributes: undefined }));
    assert.equal(missing.json.code, '3009011');
    assert.match(missing.json.message, /attributes/);
    assert.equal(redeems(stack).length, 0);
  });
});
