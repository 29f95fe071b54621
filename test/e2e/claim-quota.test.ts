/**
 * T2: a claim P云 refuses gives its reservation back — the stock's quota (max_coupons) and the
 * user's (max_coupons_per_user) are what they were before, so a refusal never uses up a stock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startStack, testMappings, type Stack } from '../support/stack';

const PATH = '/tencent/sp/coupon/receive';
const STOCK = 'quota-one';
const mappings = testMappings(`
  ${STOCK}:
    partners: [sp-test]
    park_uuid: park-q1
    api_store_code: store-q1
    api_type: tencent-sp
    app_id: wx-q1
    stock_name: 一张券
    coupon_type: 1
    face_value_fen: 300
    max_coupons: 1
    max_coupons_per_user: 1
    available_begin_time: '2020-01-01T00:00:00.000+08:00'
    available_end_time: '2035-01-01T00:00:00.000+08:00'
    stock_status: 3`);

let stack: Stack;
before(async () => {
  stack = await startStack({ mappings });
});
after(async () => {
  await stack.close();
});

const claim = (user: string) =>
  stack.tencent(PATH, {
    app_channel_id: 0,
    user_code: user,
    stock_id: STOCK,
    request_id: randomUUID().replace(/-/g, ''),
    extra: '{"plate":"川A660P1"}',
  });

const counts = () => stack.running.rt.store.stockCounts(STOCK);

describe('T2: a refused claim releases its reservation', () => {
  test('P云 refusing (1002, then a retryable 1405) leaves the quota untouched; the one coupon is still claimable', async () => {
    assert.equal((await counts()).issued, 0);

    stack.sandbox.fault('pyun', { mode: 'code', code: '1002', message: '车辆未入场', times: 1 });
    const refused = await claim('user-a');
    assert.equal(refused.json.code, 400220, refused.body);
    let c = await counts();
    assert.equal(c.issued, 0, `after a refusal: ${JSON.stringify(c)}`);
    assert.equal(c.byState.pending, 0);

    stack.sandbox.fault('pyun', { mode: 'code', code: '1405', message: '车场下发失败', times: 1 });
    const failed = await claim('user-a');
    assert.equal(failed.json.code, 500000, failed.body);
    c = await counts();
    assert.equal(c.issued, 0, `after a retryable failure: ${JSON.stringify(c)}`);

    // the same user (max 1 per user) and the stock (max 1) can still have their one coupon
    const granted = await claim('user-a');
    assert.equal(granted.json.code, 0, granted.body);
    c = await counts();
    assert.equal(c.issued, 1);
    assert.equal(c.byState.available, 1);

    // and the quota is real: a second coupon is refused
    const exhausted = await claim('user-b');
    assert.equal(exhausted.json.code, 400203, exhausted.body);
  });
});
