/**
 * Flow D4 end to end over HTTP: consumeCouponOrder consumes a new orderId exactly as D1 (P云
 * grant/sync per code) and refunds a known one in the ledger only (P云 has no un-redeem call).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../support/stack';
import { dianping, parkPos, parkPosYaml, redeems, seedCoupon, uniq } from './dianping-client';

const ORDER = '/dianping/api/coupon/consumeCouponOrder';
const CORE = '/dianping/api/coupon/consumeCoreCoupon';
const EXTEND = '/dianping/api/coupon/consumeExtendCoupon';
const CONSUME_TIME = 1709259330120;
let stack: Stack;

function order(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    couponCode: uniq('DPO'),
    orderId: uniq('ORD'),
    shopName: '点评停车场',
    consumeTime: CONSUME_TIME,
    orderAmount: '20',
    payAmount: '15.5',
    ...over,
  };
}

before(async () => {
  stack = await startStack({ extraYaml: parkPosYaml });
});
after(async () => {
  await stack.close();
});

describe('D4 consumeCouponOrder', () => {
  test('a new orderId consumes its codes at P云; the same orderId again refunds them in the ledger only', async () => {
    stack.sandbox.clear();
    const known = await seedCoupon(stack, uniq('DPK'));
    const code = uniq('DPO');
    const msg = order({ couponCode: JSON.stringify([known.couponCode, code]) });
    const consumed = await dianping(stack, ORDER, msg, { method: 'GET' });
    assert.deepEqual(consumed.json, { status: 'success' }, consumed.body);
    assert.deepEqual(
      redeems(stack).map((f) => [f.grant_serial, f.park_uuid, f.apply_value]),
      [
        [known.grantSerial, 'park-from-ledger', '225'],
        [code, parkPos.park, '225'],
      ],
    );
    const store = stack.running.rt.store;
    assert.equal((await store.getOrder(parkPos.id, String(msg.orderId)))?.details?.discountFen, 450);

    stack.sandbox.clear();
    const refund = await dianping(stack, ORDER, {
      orderId: msg.orderId,
      shopName: '点评停车场',
      consumeTime: CONSUME_TIME,
      payAmount: '15.5',
    });
    assert.deepEqual(refund.json, { status: 'success' }, refund.body);
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0, 'nothing is sent upstream');
    assert.equal((await store.getOrder(parkPos.id, String(msg.orderId)))?.status, 'refunded');
    for (const c of [known.couponCode!, code]) {
      const coupon = await store.getCoupon({ couponCode: c });
      assert.equal(coupon?.state, 'refunded');
      const last = (await store.history(coupon!.id)).at(-1)!;
      assert.deepEqual([last.from, last.to, last.actor], ['used', 'refunded', parkPos.id]);
      assert.match(String(last.reason), new RegExp(`refund of Dianping order ${msg.orderId}`));
      assert.match(String(last.exchangeId), /^x/);
    }
    const journal = await waitForExchanges(String(msg.orderId), 2);
    assert.equal(journal[1].outcome, 'recorded');
    assert.match(JSON.stringify(journal[1].data), /nothing sent upstream/);

    const again = await dianping(stack, ORDER, { ...msg, couponCode: undefined });
    assert.deepEqual(again.json, { status: 'success' }, 'refunding a refunded order is idempotent');
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0);
  });

  test('concurrent refunds of one order all succeed and refund each coupon once', async () => {
    const msg = order();
    assert.deepEqual((await dianping(stack, ORDER, msg)).json, { status: 'success' });
    // Each refund its own signed request: a verbatim re-send of the consume is never a refund.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        dianping(stack, ORDER, { ...msg, consumeTime: CONSUME_TIME + 1 + i }),
      ),
    );
    for (const a of answers) assert.deepEqual(a.json, { status: 'success' });
    const coupon = await stack.running.rt.store.getCoupon({ couponCode: String(msg.couponCode) });
    const refunds = (await stack.running.rt.store.history(coupon!.id)).filter((h) => h.to === 'refunded');
    assert.equal(refunds.length, 1);
  });

  test('an unknown orderId without couponCode answers 3002001', async () => {
    stack.sandbox.clear();
    const res = await dianping(stack, ORDER, order({ couponCode: undefined }));
    assert.deepEqual(res.json, {
      status: 'error',
      code: '3002001',
      message: '订单号不存在,请确认订单号是否正确',
    });
    assert.equal(redeems(stack).length, 0);
  });

  test('an order core-consumed but never extended answers 3002002 until its details arrive', async () => {
    const code = uniq('DPC');
    const orderId = uniq('ORD');
    const core = await dianping(stack, CORE, { couponCode: code, consumeTime: CONSUME_TIME, orderId });
    assert.deepEqual(core.json, { status: 'success' }, core.body);
    stack.sandbox.clear();
    const early = await dianping(stack, ORDER, order({ orderId, couponCode: undefined }));
    assert.deepEqual(early.json, {
      status: 'error',
      code: '3002002',
      message: '请先完善订单信息,再尝试操作',
    });
    assert.equal((await stack.running.rt.store.getCoupon({ couponCode: code }))?.state, 'used');
    const ext = await dianping(stack, EXTEND, {
      couponCode: code,
      orderId,
      shopName: '点评停车场',
      consumeTime: CONSUME_TIME,
      orderAmount: '5',
      payAmount: '0',
      freightFee: '0',
      attributes: '{}',
    });
    assert.deepEqual(ext.json, { status: 'success' });
    const refund = await dianping(
      stack,
      ORDER,
      order({ orderId, couponCode: undefined, consumeTime: CONSUME_TIME + 1 }),
    );
    assert.deepEqual(refund.json, { status: 'success' });
    assert.equal((await stack.running.rt.store.getCoupon({ couponCode: code }))?.state, 'refunded');
    assert.equal(redeems(stack).length, 0);
  });

  test('a refund naming a coupon that is not the order’s answers 3001003 and changes nothing', async () => {
    const msg = order();
    assert.deepEqual((await dianping(stack, ORDER, msg)).json, { status: 'success' });
    const res = await dianping(stack, ORDER, { ...msg, couponCode: uniq('DPX') });
    assert.deepEqual(res.json, { status: 'error', code: '3001003', message: '优惠券券号不一致，请确认' });
    assert.equal(
      (await stack.running.rt.store.getOrder(parkPos.id, String(msg.orderId)))?.status,
      'consumed',
    );
  });

  test('without orderAmount the ledger face values are used, else orderAmount is required', async () => {
    stack.sandbox.clear();
    const known = await seedCoupon(stack, uniq('DPK'), { faceValue: 650 });
    const res = await dianping(stack, ORDER, order({ couponCode: known.couponCode, orderAmount: undefined }));
    assert.deepEqual(res.json, { status: 'success' }, res.body);
    assert.equal(redeems(stack)[0].apply_value, '650');
    const unknown = await dianping(stack, ORDER, order({ orderAmount: undefined }));
    assert.equal(unknown.json.code, '3009011');
    assert.match(unknown.json.message, /orderAmount: required to compute the discount/);
    assert.equal(redeems(stack).length, 1);
  });

  test('a P云 failure on consume leaves no order, so the retry is a consume and not a refund', async () => {
    stack.sandbox.clear();
    const msg = order();
    stack.sandbox.fault('pyun', { mode: 'code', code: '1500', message: '内部错误', times: 1 });
    const failed = await dianping(stack, ORDER, msg);
    assert.deepEqual(failed.json, {
      status: 'error',
      code: '3009016',
      message: 'P云 1500 内部错误: 内部错误',
    });
    const retry = await dianping(stack, ORDER, msg);
    assert.deepEqual(retry.json, { status: 'success' });
    assert.equal(
      (await stack.running.rt.store.getOrder(parkPos.id, String(msg.orderId)))?.status,
      'consumed',
    );
    assert.equal(redeems(stack).length, 2);
  });

  test('a bad signature or a missing payAmount is refused in the Dianping envelope', async () => {
    const bad = await dianping(stack, ORDER, order({ shopName: 'shopA' }), {
      tamper: (b) => b.replace('shopA', 'shopC'),
    });
    assert.equal(bad.json.status, 'error');
    assert.equal(bad.json.code, '3009008');
    const missing = await dianping(stack, ORDER, order({ payAmount: undefined }), { method: 'GET' });
    assert.equal(missing.json.code, '3009011');
    assert.match(missing.json.message, /payAmount/);
  });
});

async function waitForExchanges(key: string, n: number) {
  for (let i = 0; i < 50; i++) {
    const found = await stack.running.rt.store.findExchanges(key);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} exchanges for ${key}`);
}
