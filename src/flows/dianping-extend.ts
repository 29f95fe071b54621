/**
 * Flow D3 — Dianping consumeExtendCoupon (优惠券附属信息核销): attaches an order's details to the
 * ledger after consumeCoreCoupon (D2). Nothing is sent to P云 (the coupon was redeemed by D2).
 *   known orderId: its coupons must include couponCode (else 3001003); the details are stored.
 *   unknown orderId: the coupon must have been core-consumed (else 3001002 订单号不存在); the
 *   order is created (consumed, with details) and the coupon linked to it.
 * Decisions where seed 004 is silent (also in docs/flows.md):
 *  - one coupon code per message; amounts converted to 分 exactly, a negative discount → 3009011.
 *  - a core-consumed coupon already linked to another order → 3001003.
 *  - repeating an extend stores the same details again and answers success (idempotent); a later
 *    extend with different details replaces them (the POS's latest word); status is untouched.
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { DianpingConsumeExtendCouponRequest } from '../generated';
import { mapContext } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { metaOf } from '../ledger/coupons';
import type { OrderRecord } from '../store/types';
import {
  dianpingFailed,
  dianpingUse,
  findCoupon,
  orderAmounts,
  orderDetails,
  singleCode,
} from './dianping-shared';

function requireCoupon(order: OrderRecord, code: string): void {
  if (!order.couponCodes.includes(code)) {
    throw new CbError(
      'CB_COUPON_MISMATCH',
      `order ${order.orderId} holds ${order.couponCodes.join(', ')}, not ${code}`,
    );
  }
}

/** Creates the order of a core-consumed coupon; false when a concurrent extend created it first. */
async function createFromCore(
  x: Exchange,
  orderId: string,
  code: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  const store = x.rt.store;
  const { coupon } = await findCoupon(x, code);
  const use = dianpingUse(coupon);
  if (!coupon || coupon.state !== 'used' || !use?.core) {
    throw new CbError(
      'CB_ORDER_NOT_FOUND',
      `order ${orderId} is unknown and coupon ${code} was never core-consumed`,
    );
  }
  if (use.orderId !== undefined && use.orderId !== orderId) {
    throw new CbError('CB_COUPON_MISMATCH', `coupon ${code} belongs to order ${use.orderId}, not ${orderId}`);
  }
  const partner = x.partner!.id;
  const order = { partner, orderId, status: 'consumed' as const, couponCodes: [code], details };
  if (
    !(await store.putOrder(
      { ...order, exchangeId: x.id, createdAt: x.now, updatedAt: x.now },
      { ifAbsent: true },
    ))
  ) {
    return false;
  }
  const attrs = { ...coupon.attrs, dianping: { ...use, orderId } };
  await store.upsertCoupon(
    { id: coupon.id, stockId: coupon.stockId, partner: coupon.partner, attrs, state: coupon.state },
    metaOf(x, `linked to Dianping order ${orderId}`),
  );
  x.notes.push(`order ${orderId} created for core-consumed coupon ${code}, with its details`);
  return true;
}

export const dianpingExtend = inboundFlow<DianpingConsumeExtendCouponRequest>(async (x, f) => {
  const store = x.rt.store;
  const orderId = f.orderId;
  const code = singleCode(f.couponCode);
  x.businessKeys.push(orderId, code);
  const details = orderDetails(f, orderAmounts(f));
  let order = await store.getOrder(x.partner!.id, orderId);
  if (!order && !(await createFromCore(x, orderId, code, details))) {
    order = await store.getOrder(x.partner!.id, orderId);
  }
  if (order) {
    requireCoupon(order, code);
    await store.putOrder({ ...order, details, exchangeId: x.id, updatedAt: x.now });
    x.notes.push(`order ${orderId}: details attached`);
  }
  x.map = mapContext(x);
  x.answer = successAnswer(x);
  x.outcome = 'recorded';
}, dianpingFailed);
