/**
 * A mix of real traffic through a test stack, so the journal holds exchanges of most routes:
 * T2 claim, T1 redeem of that claim (ledger state moves on afterwards), T1 expire and record,
 * T3 stock query, T4 deactivate, D1 consume, P1 payment push, and a refused signature.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { getDialect } from '../../src/dialects';
import { deactivateCoupon, pushPayment, type Stack } from './stack';
import { parkPosCreds, parkPosYaml } from '../e2e/dianping-client';

/**
 * The configuration the sample traffic needs beside the stack's own: the Dianping POS, and the
 * legacy grant_serial_fallback, since its T1 expire and record name coupons the ledger never held.
 */
export const trafficConfigYaml = `${parkPosYaml}\ngrant_serial_fallback: coupon_id`;

const uid = () => randomUUID().replace(/-/g, '').slice(0, 12);

export interface Traffic {
  claimedCouponId: string;
  claimRequestId: string;
  redeemCouponId: string;
  /** The P云 payment push's pay_serial. */
  paySerial: string;
}

export async function sendSampleTraffic(stack: Stack): Promise<Traffic> {
  const claimRequestId = uid();
  const claim = await stack.tencent('/tencent/sp/coupon/receive', {
    app_channel_id: 0,
    user_code: 'traffic-user',
    mobile_phone: '13911112222',
    stock_id: 'cb-demo-001',
    request_id: claimRequestId,
    extra: '{"plate":"粤B660PP"}',
  });
  assert.equal(claim.json.code, 0, claim.body);
  const claimedCouponId = claim.json.data.coupon_id as string;
  // T1 on the claimed coupon: reads the ledger (grant_serial), then moves the coupon to `used`.
  const redeem = await stack.tencent('/tencent/coupon/status/rsync', {
    app_channel_id: 0,
    user_code: 'traffic-user',
    stock_id: 'cb-demo-001',
    coupon_id: claimedCouponId,
    coupon_status: 2,
    usage_time: '2024-03-01T10:15:30.120+08:00',
  });
  assert.equal(redeem.json.code, 0, redeem.body);
  const redeemCouponId = `C${uid()}`;
  for (const [status, coupon] of [
    [2, redeemCouponId],
    [3, `C${uid()}`],
    [1, `C${uid()}`],
  ] as const) {
    const r = await stack.tencent('/tencent/coupon/status/rsync', {
      app_channel_id: 0,
      user_code: 'u-1',
      mobile_phone: '13911112222',
      stock_id: 'cb-demo-001',
      coupon_id: coupon,
      coupon_status: status,
      usage_time: status === 2 ? '2024-03-01T10:15:30.120+08:00' : undefined,
      event_time: '2024-03-01T10:15:31.000+08:00',
    });
    assert.equal(r.json.code, 0, r.body);
  }
  const query = await stack.tencent('/tencent/sp/stock/query', { stock_id: 'cb-demo-001' });
  assert.equal(query.json.code, 0, query.body);
  const deactivated = `D${uid()}`;
  await stack.running.rt.store.upsertCoupon(
    {
      id: `tencent:${deactivated}`,
      stockId: 'cb-demo-001',
      partner: 'sp-test',
      couponId: deactivated,
      userCode: 'u-1',
      faceValue: 500,
      state: 'available',
    },
    { actor: 'test', at: new Date() },
  );
  await deactivateCoupon(stack, deactivated, 'u-1');
  // D1 consumeCoupon of an unknown code, by POST form.
  const dp = getDialect('dianping').buildRequest(
    { method: 'POST', path: '/dianping/api/coupon/consumeCoupon', encoding: 'form' },
    {
      couponCode: `DP${uid()}`,
      shopName: '点评停车场',
      consumeTime: 1709259330120,
      orderId: `ORD${uid()}`,
      orderAmount: '30.00',
      payAmount: '25.00',
      freightFee: '0',
      attributes: JSON.stringify({ table: 'A1' }),
    },
    parkPosCreds,
  );
  const consumed = await stack.post('/dianping/api/coupon/consumeCoupon', dp.body!, dp.headers);
  assert.equal(consumed.json.status, 'success', consumed.body);
  const paySerial = `PS${uid()}`;
  const grantSerial = (await stack.running.rt.store.getCoupon({ couponId: claimedCouponId }))!.grantSerial!;
  const push = await pushPayment(stack, paySerial, grantSerial);
  assert.equal(push.status, 200, push.body);
  const tampered = await stack.tencent(
    '/tencent/coupon/status/rsync',
    { stock_id: 'cb-demo-001', coupon_id: 'C-tampered', coupon_status: 2 },
    { tamper: (b) => b.replace('"coupon_status":2', '"coupon_status":3') },
  );
  assert.notEqual(tampered.json.code, 0);
  await stack.running.rt.journal.drain();
  return { claimedCouponId, claimRequestId, redeemCouponId, paySerial };
}
