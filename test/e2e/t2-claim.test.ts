/**
 * Flow T2 end to end: Tencent 领券 → P云 mcoupon/event with the ledger — idempotency on
 * request_id, quotas under concurrency, stock status, plate, and P云's codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { getDialect, parseForm } from '../../src/dialects';
import { grantSerialFor, signedPyunPush } from '../../src/sandbox';
import { couponIdFor, eventIdFor } from '../../src/mapping/converters';
import { creds, startStack, testMappings, type Stack } from '../support/stack';

const PATH = '/tencent/sp/coupon/receive';
const mappings = testMappings(
  ['quota-50', 'per-user-2', 'stopped-stock']
    .map(
      (id) => `
  ${id}:
    partners: [sp-test]
    park_uuid: park-q
    api_store_code: store-q
    api_type: tencent-sp
    app_id: wx-q
    stock_name: 配额测试
    coupon_type: 1
    face_value_fen: 300
    max_coupons: ${id === 'quota-50' ? 50 : 1000}
    max_coupons_per_user: ${id === 'per-user-2' ? 2 : 1}
    available_begin_time: '2020-01-01T00:00:00.000+08:00'
    available_end_time: '2035-01-01T00:00:00.000+08:00'
    stock_status: ${id === 'stopped-stock' ? 4 : 3}`,
    )
    .join(''),
);

let stack: Stack;
before(async () => {
  stack = await startStack({ mappings });
});
after(async () => {
  await stack.close();
});

function claimMsg(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: `user-${randomUUID().slice(0, 8)}`,
    mobile_phone: '13911112222',
    stock_id: 'cb-demo-001',
    request_id: randomUUID().replace(/-/g, ''),
    extra: JSON.stringify({ plate: '粤B660PP' }),
    ...over,
  };
}

const events = () => stack.sandbox.requests({ target: 'pyun', path: '/gate/1.0/parking/mcoupon/event' });

describe('T2 claim', () => {
  test('a claim grants at P云 and answers the coupon with the stock presentation', async () => {
    const msg = claimMsg();
    const res = await stack.tencent(PATH, msg);
    assert.equal(res.json.code, 0, res.body);
    const serial = grantSerialFor(eventIdFor('sp-test', String(msg.request_id)));
    const d = res.json.data;
    assert.equal(d.coupon_id, couponIdFor(serial));
    assert.ok(d.coupon_id.length <= 20);
    assert.equal(d.stock_id, 'cb-demo-001');
    assert.equal(d.coupon_type, 1);
    assert.deepEqual(d.fixed_normal_coupon, { coupon_amount: 500, transaction_minimum: 0 });
    assert.equal(d.coupon_status, 1);
    assert.match(d.receive_time, /\+08:00$/);
    const f = parseForm(events().at(-1)!.body);
    assert.equal(
      f.event_id,
      eventIdFor('sp-test', String(msg.request_id)),
      'derived from (partner, request_id)',
    );
    assert.equal(f.plate, '粤B660PP');
    assert.equal(f.api_store_code, 'demo-park-01');
    assert.equal(f.api_type, 'tencent-sp');
    assert.match(f.subject, /粤B660PP/);
    const coupon = await stack.running.rt.store.getCoupon({ couponId: d.coupon_id });
    assert.equal(coupon?.state, 'available');
    assert.equal(coupon?.grantSerial, serial);
    assert.equal(coupon?.userCode, msg.user_code);
  });

  test('a repeated request_id answers the first answer byte for byte without calling P云', async () => {
    const msg = claimMsg();
    const first = await stack.tencent(PATH, msg);
    const calls = events().length;
    const again = await stack.tencent(PATH, msg);
    assert.equal(again.body, first.body);
    assert.equal(events().length, calls);
  });

  test('a request_id reused with a different payload is refused', async () => {
    const msg = claimMsg();
    await stack.tencent(PATH, msg);
    const res = await stack.tencent(PATH, { ...msg, user_code: 'someone-else' });
    assert.equal(res.json.code, 400102);
  });

  test('no plate in extra → a parameter error without calling P云', async () => {
    const calls = events().length;
    const res = await stack.tencent(PATH, claimMsg({ extra: 'extra info' }));
    assert.equal(res.json.code, 400000);
    assert.match(res.json.message, /plate/);
    assert.equal(events().length, calls);
    const bare = await stack.tencent(PATH, claimMsg({ extra: '川A660P1' }));
    assert.equal(bare.json.code, 0, bare.body);
  });

  test('unknown and stopped stocks are refused', async () => {
    assert.equal((await stack.tencent(PATH, claimMsg({ stock_id: 'nope' }))).json.code, 400201);
    assert.equal((await stack.tencent(PATH, claimMsg({ stock_id: 'stopped-stock' }))).json.code, 400202);
    await stack.running.rt.store.upsertStockSync({ stockId: 'per-user-2', status: 5, updatedAt: new Date() });
    assert.equal((await stack.tencent(PATH, claimMsg({ stock_id: 'per-user-2' }))).json.code, 400202);
    await stack.running.rt.store.upsertStockSync({ stockId: 'per-user-2', status: 3, updatedAt: new Date() });
  });

  test('max_coupons_per_user is enforced', async () => {
    const user = `u-${randomUUID()}`.slice(0, 20);
    for (let i = 0; i < 2; i++)
      assert.equal(
        (await stack.tencent(PATH, claimMsg({ stock_id: 'per-user-2', user_code: user }))).json.code,
        0,
      );
    assert.equal(
      (await stack.tencent(PATH, claimMsg({ stock_id: 'per-user-2', user_code: user }))).json.code,
      400204,
    );
  });

  test('P云 codes are mapped; a retryable failure releases the reservation and the retry succeeds', async () => {
    stack.sandbox.fault('pyun', { mode: 'code', code: '1002', message: '车辆未入场', times: 1 });
    const a = await stack.tencent(PATH, claimMsg());
    assert.equal(a.json.code, 400220);
    assert.match(a.json.message, /1002/);
    const msg = claimMsg({ stock_id: 'per-user-2' });
    stack.sandbox.fault('pyun', { mode: 'code', code: '1405', times: 1 });
    const failed = await stack.tencent(PATH, msg);
    assert.equal(failed.json.code, 500000);
    const retried = await stack.tencent(PATH, msg);
    assert.equal(retried.json.code, 0, retried.body);
  });

  test('P云 1403 with a known grant completes the claim with the original grant serial', async () => {
    const msg = claimMsg();
    // P云 granted this event before (our answer was lost): send the event straight to the sandbox.
    const body = signedPyunPush(
      {
        api_store_code: 'demo-park-01',
        api_type: 'tencent-sp',
        event_id: eventIdFor('sp-test', String(msg.request_id)),
        plate: '粤B660PP',
        subject: 's',
      },
      creds.pyunUpstream.app_id,
      creds.pyunUpstream.app_secret,
    );
    await fetch(`${stack.sandbox.pyunUrl}/gate/1.0/parking/mcoupon/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const res = await stack.tencent(PATH, msg);
    assert.equal(res.json.code, 0, res.body);
    assert.equal(
      res.json.data.coupon_id,
      couponIdFor(grantSerialFor(eventIdFor('sp-test', String(msg.request_id)))),
    );
    assert.equal(JSON.parse(events().at(-1)!.answer!.body).code, '1403');
  });

  test('100 concurrent claims with one request_id → exactly one P云 call and 100 identical answers', async () => {
    const msg = claimMsg();
    const calls = events().length;
    const answers = await Promise.all(Array.from({ length: 100 }, () => stack.tencent(PATH, msg)));
    assert.equal(events().length - calls, 1);
    assert.equal(new Set(answers.map((a) => a.body)).size, 1);
    assert.equal(answers[0].json.code, 0);
  });

  test('200 concurrent claims on a stock with max_coupons=50 → exactly 50 coupons', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => stack.tencent(PATH, claimMsg({ stock_id: 'quota-50' }))),
    );
    const ok = answers.filter((a) => a.json.code === 0).length;
    const exhausted = answers.filter((a) => a.json.code === 400203).length;
    const other = answers.filter((a) => a.json.code !== 0 && a.json.code !== 400203).map((a) => a.body);
    assert.deepEqual(other.slice(0, 3), []);
    assert.equal(ok, 50);
    assert.equal(exhausted, 150);
    const counts = await stack.running.rt.store.stockCounts('quota-50');
    assert.equal(counts.issued, 50);
    assert.equal(counts.byState.available, 50);
  });

  test('a bad signature on a claim never reaches P云', async () => {
    const calls = events().length;
    const built = getDialect('tencent').buildRequest(
      { method: 'POST', path: PATH, encoding: 'json' },
      claimMsg(),
      { keyId: creds.sp.api_key, secret: 'wrong', scheme: 'tencent-md5' },
    );
    const res = await stack.post(PATH, built.body!, built.headers);
    assert.equal(res.json.code, 400005);
    assert.equal(events().length, calls);
  });
});
