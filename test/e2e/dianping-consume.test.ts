/**
 * Flow D1 end to end over HTTP: a Dianping POS consumeCoupon (GET query or POST form) →
 * couponbridge → sandbox P云 grant/sync, one redeem per code, with the ledger and the orderId's
 * idempotency; every failure answered in the Dianping envelope.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UpstreamClient } from '../../src/dialects/types';
import { startStack, type Stack } from '../support/stack';
import { dianping, parkPos, parkPosYaml, posCreds, redeems, seedCoupon, uniq } from './dianping-client';

const PATH = '/dianping/api/coupon/consumeCoupon';
const CONSUME_TIME = 1709259330120; // 2024-03-01T02:15:30.120Z
let stack: Stack;

function consume(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    couponCode: uniq('DP'),
    shopName: '点评停车场',
    consumeTime: CONSUME_TIME,
    orderId: uniq('ORD'),
    comments: '测试订单',
    orderAmount: '30.00',
    payAmount: '25.00',
    freightFee: '0',
    attributes: JSON.stringify({ table: 'A1', guests: 2 }),
    ...over,
  };
}

before(async () => {
  stack = await startStack({ extraYaml: parkPosYaml });
});
after(async () => {
  await stack.close();
});

describe('D1 consumeCoupon → P云 grant/sync', () => {
  test('one unknown code by POST form is redeemed with the discount, the partner park and UTC times', async () => {
    stack.sandbox.clear();
    const msg = consume();
    const res = await dianping(stack, PATH, msg);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'success' });
    const sent = redeems(stack);
    assert.equal(sent.length, 1);
    const f = sent[0];
    assert.equal(f.grant_serial, msg.couponCode);
    assert.equal(f.park_uuid, parkPos.park);
    assert.equal(f.status, '1');
    assert.equal(f.apply_status, '1');
    assert.equal(f.coupon_value, '500');
    assert.equal(f.apply_value, '500');
    assert.equal(f.apply_time, '2024-03-01T02:15:30.120Z');
    assert.equal(f.status_time, '2024-03-01T02:15:30.120Z');
    const store = stack.running.rt.store;
    const coupon = await store.getCoupon({ couponCode: String(msg.couponCode) });
    assert.equal(coupon?.state, 'used');
    assert.equal(coupon?.partner, parkPos.id);
    const order = await store.getOrder(parkPos.id, String(msg.orderId));
    assert.equal(order?.status, 'consumed');
    assert.deepEqual(order?.couponCodes, [msg.couponCode]);
    assert.deepEqual(order?.details, {
      shopName: '点评停车场',
      consumeTime: CONSUME_TIME,
      comments: '测试订单',
      attributes: { table: 'A1', guests: 2 },
      orderAmountFen: 3000,
      payAmountFen: 2500,
      freightFeeFen: 0,
      discountFen: 500,
      appliedFen: { [String(msg.couponCode)]: 500 },
    });
  });

  test('a JSON list of codes by GET splits 19.99 + 0 − 9.99 = 1000 分 as 334/333/333', async () => {
    stack.sandbox.clear();
    const codes = [uniq('DPa'), uniq('DPb'), uniq('DPc')];
    const msg = consume({
      couponCode: JSON.stringify(codes),
      orderAmount: '19.99',
      payAmount: '9.99',
      freightFee: '0',
    });
    const res = await dianping(stack, PATH, msg, { method: 'GET' });
    assert.deepEqual(res.json, { status: 'success' }, res.body);
    const sent = redeems(stack);
    assert.deepEqual(
      sent.map((f) => [f.grant_serial, f.apply_value, f.coupon_value]),
      [
        [codes[0], '334', '334'],
        [codes[1], '333', '333'],
        [codes[2], '333', '333'],
      ],
    );
    const order = await stack.running.rt.store.getOrder(parkPos.id, String(msg.orderId));
    assert.deepEqual(order?.couponCodes, codes);
    assert.equal(order?.details?.discountFen, 1000);
  });

  test('a multi-code POST with freightFee counts the fee in the discount', async () => {
    stack.sandbox.clear();
    const codes = [uniq('DPf'), uniq('DPg')];
    const msg = consume({
      couponCode: JSON.stringify(codes),
      orderAmount: '0.1',
      freightFee: '0.2',
      payAmount: '0',
    });
    assert.deepEqual((await dianping(stack, PATH, msg)).json, { status: 'success' });
    assert.deepEqual(
      redeems(stack).map((f) => f.apply_value),
      ['15', '15'],
    );
  });

  test('coupons the ledger knows are redeemed with their grant serial, park and face value, and become used', async () => {
    stack.sandbox.clear();
    const a = await seedCoupon(stack, uniq('DPK'), { faceValue: 700 });
    const b = await seedCoupon(stack, uniq('DPK'), { faceValue: 300 });
    const msg = consume({ couponCode: JSON.stringify([a.couponCode, b.couponCode]) });
    assert.deepEqual((await dianping(stack, PATH, msg)).json, { status: 'success' });
    const sent = redeems(stack);
    assert.deepEqual(
      sent.map((f) => [f.grant_serial, f.park_uuid, f.coupon_value, f.apply_value]),
      [
        [a.grantSerial, 'park-from-ledger', '700', '700'],
        [b.grantSerial, 'park-from-ledger', '300', '300'],
      ],
    );
    const store = stack.running.rt.store;
    assert.equal((await store.getCoupon({ id: a.id }))?.state, 'used');
    const history = await store.history(a.id);
    assert.deepEqual(
      history.map((h) => [h.from, h.to]),
      [
        [null, 'available'],
        ['available', 'used'],
      ],
    );
    assert.equal(history[1].actor, parkPos.id);
    assert.equal(history[1].exchangeId, (await exchangeOf(String(msg.orderId))).id);
  });

  test('when one code is unknown every code shares the discount; a known face value stays the coupon_value', async () => {
    stack.sandbox.clear();
    const a = await seedCoupon(stack, uniq('DPK'), { faceValue: 700 });
    const code = uniq('DPU');
    const msg = consume({
      couponCode: JSON.stringify([a.couponCode, code]),
      orderAmount: '10.01',
      payAmount: '0',
    });
    assert.deepEqual((await dianping(stack, PATH, msg)).json, { status: 'success' });
    assert.deepEqual(
      redeems(stack).map((f) => [f.grant_serial, f.coupon_value, f.apply_value]),
      [
        [a.grantSerial, '700', '501'],
        [code, '500', '500'],
      ],
    );
  });

  test('a consumed orderId sent again answers 3001001 订单号重复 without calling P云', async () => {
    const msg = consume();
    assert.deepEqual((await dianping(stack, PATH, msg)).json, { status: 'success' });
    stack.sandbox.clear();
    const again = await dianping(stack, PATH, msg);
    assert.deepEqual(again.json, { status: 'error', code: '3001001', message: '订单号重复' });
    const otherPayload = await dianping(stack, PATH, { ...msg, couponCode: uniq('DP'), comments: '改' });
    assert.deepEqual(otherPayload.json, { status: 'error', code: '3001001', message: '订单号重复' });
    assert.equal(redeems(stack).length, 0);
  });

  test('50 concurrent identical requests cause exactly one P云 call per code', async () => {
    stack.sandbox.clear();
    const codes = [uniq('DPc'), uniq('DPc')];
    const msg = consume({ couponCode: JSON.stringify(codes) });
    const answers = await Promise.all(Array.from({ length: 50 }, () => dianping(stack, PATH, msg)));
    const bodies = answers.map((a) => JSON.stringify(a.json));
    assert.equal(bodies.filter((b) => b === '{"status":"success"}').length, 1, bodies.join('\n'));
    assert.equal(
      bodies.filter((b) => b === '{"status":"error","code":"3001001","message":"订单号重复"}').length,
      49,
      bodies.join('\n'),
    );
    assert.deepEqual(
      redeems(stack)
        .map((f) => f.grant_serial)
        .sort(),
      [...codes].sort(),
    );
  });

  test('two different orders redeeming one code at the same moment: exactly one succeeds', async () => {
    stack.sandbox.clear();
    const code = uniq('DPrace');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => dianping(stack, PATH, consume({ couponCode: code }))),
    );
    const ok = answers.filter((a) => a.json.status === 'success').length;
    assert.equal(ok, 1, answers.map((a) => JSON.stringify(a.json)).join('\n'));
    for (const a of answers.filter((a) => a.json.status !== 'success')) {
      assert.equal(a.json.code, '3009024', JSON.stringify(a.json));
    }
    assert.equal(redeems(stack).filter((f) => f.grant_serial === code).length, 1);
  });

  test('a retry after a P云 failure completes the order and does not resend the code already redeemed', async () => {
    stack.sandbox.clear();
    const codes = [uniq('DPr'), uniq('DPr'), uniq('DPr')];
    const msg = consume({ couponCode: JSON.stringify(codes), orderAmount: '3.00', payAmount: '0' });
    const client = stack.running.rt.upstreams.get('pyun')!.client as { send: UpstreamClient['send'] };
    const send = client.send;
    let calls = 0;
    client.send = async (req) => {
      const answer = await send.call(client, req);
      calls += 1;
      if (calls === 1)
        stack.sandbox.fault('pyun', { mode: 'code', code: '1405', message: '车场下发失败', times: 1 });
      return answer;
    };
    let first;
    try {
      first = await dianping(stack, PATH, msg);
    } finally {
      client.send = send;
    }
    assert.equal(first.json.status, 'error');
    assert.equal(first.json.code, '3009014');
    assert.match(first.json.message, /P云 1405 车场下发失败/);
    const store = stack.running.rt.store;
    assert.equal((await store.getCoupon({ couponCode: codes[0] }))?.state, 'used');
    assert.equal(await store.getCoupon({ couponCode: codes[1] }), undefined);
    assert.equal(await store.getOrder(parkPos.id, String(msg.orderId)), undefined);

    const retry = await dianping(stack, PATH, msg);
    assert.deepEqual(retry.json, { status: 'success' }, retry.body);
    const serials = redeems(stack).map((f) => f.grant_serial);
    assert.deepEqual(serials, [codes[0], codes[1], codes[1], codes[2]]);
    assert.deepEqual(
      redeems(stack).map((f) => f.apply_value),
      ['100', '100', '100', '100'],
    );
    assert.equal((await store.getOrder(parkPos.id, String(msg.orderId)))?.status, 'consumed');
  });

  test('P云 1403 (already redeemed there) counts as redeemed', async () => {
    const known = await seedCoupon(stack, uniq('DPK'), { faceValue: 200 });
    stack.sandbox.fault('pyun', { mode: 'code', code: '1403', message: '重复核销', times: 1 });
    const res = await dianping(stack, PATH, consume({ couponCode: known.couponCode }));
    assert.deepEqual(res.json, { status: 'success' });
    assert.equal((await stack.running.rt.store.getCoupon({ id: known.id }))?.state, 'used');
  });

  test('a code another order already used is refused with 3009024 and nothing is sent', async () => {
    const code = uniq('DP');
    assert.deepEqual((await dianping(stack, PATH, consume({ couponCode: code }))).json, {
      status: 'success',
    });
    stack.sandbox.clear();
    const res = await dianping(stack, PATH, consume({ couponCode: JSON.stringify([uniq('DP'), code]) }));
    assert.equal(res.json.code, '3009024');
    assert.match(res.json.message, new RegExp(`coupon ${code} is used in the ledger \\(Dianping order ORD`));
    assert.equal(redeems(stack).length, 0);
  });

  test('P云 business refusals are mapped through the code table with P云 code and message kept', async () => {
    stack.sandbox.fault('pyun', { mode: 'code', code: '1003', message: '优惠券已失效', times: 1 });
    const msg = consume();
    const res = await dianping(stack, PATH, msg);
    assert.deepEqual(res.json, {
      status: 'error',
      code: '3009024',
      message: 'P云 1003 优惠限制: 优惠券已失效',
    });
    stack.sandbox.fault('pyun', { mode: 'down', times: 1 });
    const down = await dianping(stack, PATH, consume());
    assert.equal(down.status, 502);
    assert.equal(down.json.code, '3009014');
  });

  test('no park_uuid anywhere is a mapping error naming the field, and P云 is not called', async () => {
    stack.sandbox.clear();
    const code = uniq('DP');
    const res = await dianping(stack, PATH, consume({ couponCode: code }), { creds: posCreds });
    assert.equal(res.json.status, 'error');
    assert.equal(res.json.code, '3009012');
    assert.match(
      res.json.message,
      new RegExp(
        `couponCode ${code}: park_uuid: no value \\(from ledger.park_uuid \\| partner.defaults.park_uuid\\)`,
      ),
    );
    assert.equal(redeems(stack).length, 0);
  });

  test('a negative discount or a malformed amount is a parameter error naming the field', async () => {
    stack.sandbox.clear();
    const negative = await dianping(
      stack,
      PATH,
      consume({ orderAmount: '10.00', freightFee: '1.00', payAmount: '11.01' }),
    );
    assert.equal(negative.json.code, '3009011');
    assert.match(
      negative.json.message,
      /payAmount: 11\.01 exceeds orderAmount \+ freightFee \(10\.00 \+ 1\.00\): the discount would be -0\.01/,
    );
    const precise = await dianping(stack, PATH, consume({ orderAmount: '10.001' }));
    assert.equal(precise.json.code, '3009011');
    // The schema refuses a third decimal before the flow converts (at most 2 decimals, 13 digits).
    assert.match(
      precise.json.message,
      /\/orderAmount: must match pattern "\^\[0-9\]\{1,13\}\(\\\.\[0-9\]\{1,2\}0\*\)\?\$" — decimal amount in 元/,
    );
    const text = await dianping(stack, PATH, consume({ freightFee: 'free' }));
    assert.equal(text.json.code, '3009011');
    assert.match(text.json.message, /freightFee/);
    const twice = await dianping(stack, PATH, consume({ couponCode: '["DP1","DP1"]' }));
    assert.equal(twice.json.code, '3009011');
    assert.match(twice.json.message, /couponCode: DP1 is listed twice/);
    assert.equal(redeems(stack).length, 0);
  });

  test('a bad signature is refused in the Dianping envelope with the masked string-to-sign', async () => {
    stack.sandbox.clear();
    const res = await dianping(stack, PATH, consume({ shopName: 'shopA' }), {
      tamper: (b) => b.replace('shopA', 'shopB'),
    });
    assert.equal(res.status, 401);
    assert.equal(res.json.status, 'error');
    assert.equal(res.json.code, '3009008');
    assert.match(res.json.message, /shopNameshopB/);
    assert.ok(!res.body.includes('pos-park-secret'));
    const unknown = await dianping(stack, PATH, consume(), { creds: { ...posCreds, keyId: 'nobody' } });
    assert.equal(unknown.json.code, '3009006');
    assert.equal(redeems(stack).length, 0);
  });

  test('a schema violation names the field, by GET as by POST', async () => {
    const missing = await dianping(stack, PATH, consume({ shopName: undefined }), { method: 'GET' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.code, '3009011');
    assert.match(missing.json.message, /shopName/);
    const time = await dianping(stack, PATH, consume({ consumeTime: 'yesterday' }));
    assert.equal(time.json.code, '3009011');
    assert.match(time.json.message, /consumeTime/);
    const list = await dianping(stack, PATH, consume({ couponCode: '["DP1",' }));
    assert.equal(list.json.code, '3009011');
    assert.match(list.json.message, /couponCode/);
  });
});

/** The journal entry of an exchange, found by a business key (the journal is written after the answer). */
async function exchangeOf(key: string): Promise<{ id: string }> {
  for (let i = 0; i < 50; i++) {
    const [x] = await stack.running.rt.store.findExchanges(key);
    if (x) return x;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no exchange for ${key}`);
}
