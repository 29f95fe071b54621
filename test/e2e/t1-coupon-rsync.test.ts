/**
 * T1 /tencent/coupon/rsync end to end: an SP syncing a whole coupon it holds — used (redeem at
 * P云, ledger `used`), expired (expire form, ledger `expired`), available (recorded, nothing
 * sent) — and P云 refusing, which leaves the ledger as it was. Coupons are claimed first, so the
 * ledger holds their P云 grant serial (grant_serial_fallback: none, the default).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseForm } from '../../src/dialects';
import { GRANT_SYNC_PATH } from '../../src/sandbox';
import { claimCoupon, creds, startStack, type Stack } from '../support/stack';

const PATH = '/tencent/coupon/rsync';
let stack: Stack;

before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.close();
});

function rsync(couponId: string, status: number, over: Record<string, unknown> = {}) {
  return stack.tencent(PATH, {
    app_channel_id: 0,
    user_code: 'u-rsync',
    app_id: 'wx1111111111',
    stock_id: 'cb-demo-001',
    coupon_id: couponId,
    coupon_type: 1,
    fixed_normal_coupon: { coupon_amount: 500, transaction_minimum: 0 },
    available_begin_time: '2024-01-01T00:00:00.000+08:00',
    available_end_time: '2030-01-01T00:00:00.000+08:00',
    receive_time: '2024-02-01T00:00:00.000+08:00',
    usage_time: '2024-03-01T10:15:30.120+08:00',
    coupon_status: status,
    ...over,
  });
}

const grantSyncs = () =>
  stack.sandbox.requests({ target: 'pyun', path: GRANT_SYNC_PATH }).map((r) => parseForm(r.body));
const stateOf = async (couponId: string) => (await stack.running.rt.store.getCoupon({ couponId }))?.state;

describe('T1 /tencent/coupon/rsync → P云 grant/sync', () => {
  test('an expired coupon sends the expire form with the ledger grant serial and becomes expired', async () => {
    const { couponId, grantSerial } = await claimCoupon(stack);
    stack.sandbox.clear();
    const res = await rsync(couponId, 3);
    assert.deepEqual(res.json, { code: 0, message: 'successful' }, res.body);
    const sent = grantSyncs();
    assert.equal(sent.length, 1);
    const f = sent[0];
    assert.equal(f.app_id, creds.pyunUpstream.app_id);
    assert.equal(f.grant_serial, grantSerial);
    assert.equal(f.park_uuid, '49f0cc52-e8c7-41e3-b54d-af666b8cc11a');
    assert.equal(f.status, '-2');
    assert.equal(f.status_desc, '已过期');
    assert.equal(f.status_time, '2024-03-01T02:15:30.120Z');
    assert.equal(f.apply_status, undefined);
    assert.equal(await stateOf(couponId), 'expired');
    const last = (
      await stack.running.rt.store.history((await stack.running.rt.store.getCoupon({ couponId }))!.id)
    ).at(-1)!;
    assert.deepEqual([last.from, last.to], ['available', 'expired']);

    // the same sync again: the ledger already says expired, nothing is sent twice
    const again = await rsync(couponId, 3);
    assert.deepEqual(again.json, { code: 0, message: 'successful' });
    assert.equal(grantSyncs().length, 1);
  });

  test('a used coupon is redeemed with the ledger face value and becomes used', async () => {
    const { couponId, grantSerial } = await claimCoupon(stack);
    stack.sandbox.clear();
    const res = await rsync(couponId, 2);
    assert.deepEqual(res.json, { code: 0, message: 'successful' }, res.body);
    const [f] = grantSyncs();
    assert.equal(f.grant_serial, grantSerial);
    assert.equal(f.status, '1');
    assert.equal(f.apply_status, '1');
    assert.equal(f.coupon_value, '500');
    assert.equal(f.apply_value, '500');
    assert.equal(f.apply_time, '2024-03-01T02:15:30.120Z');
    assert.equal(await stateOf(couponId), 'used');
  });

  test('an available coupon is recorded without calling P云; the ledger is unchanged', async () => {
    const { couponId } = await claimCoupon(stack);
    stack.sandbox.clear();
    const res = await rsync(couponId, 1);
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    assert.equal(grantSyncs().length, 0);
    assert.equal(await stateOf(couponId), 'available');
  });

  test('P云 refusing the expire leaves the coupon available and answers the mapped code', async () => {
    const { couponId } = await claimCoupon(stack);
    stack.sandbox.clear();
    stack.sandbox.fault('pyun', { mode: 'code', code: '1002', message: '车辆未入场', times: 1 });
    const res = await rsync(couponId, 3);
    assert.equal(res.json.code, 400220);
    assert.match(res.json.message, /P云 1002 车辆未入场/);
    assert.equal(await stateOf(couponId), 'available');
  });
});
