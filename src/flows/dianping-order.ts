/**
 * Flow D4 — Dianping consumeCouponOrder (优惠券核销和退货统一接口): an unknown orderId is a consume,
 * exactly as D1 (mappings/dianping-consume-coupon-order.yaml builds the P云 redeem calls); a known
 * orderId is a refund (退货).
 * Refund: the order's coupons move `used → refunded` (all-or-nothing, each change in the coupon's
 * history with this exchange's id) and the order becomes refunded. P云 has no un-redeem call, so
 * nothing is sent upstream; the refund is in the ledger (history, export) and this exchange's journal.
 * Decisions where seed 004 is silent (also in docs/flows.md):
 *  - an unknown orderId without couponCode cannot be a consume → 3002001 订单号不存在.
 *  - orderAmount and freightFee are optional here: freightFee defaults to 0; without orderAmount
 *    the ledger's face values are used when it knows every coupon's, else → 3009011 naming orderAmount.
 *  - a refund covers the whole order (退货 is per order); a couponCode sent with it must name only
 *    coupons of the order, else 3001003. Its amounts are not checked.
 *  - an order without details (core-consumed with an orderId, never extended) → 3002002.
 *  - refunding a refunded order → success, nothing changes; two concurrent refunds → both success.
 *  - the consume is idempotent on `consume:<orderId>` (the mapping's idempotency_key): a concurrent duplicate waits for the first
 *    and gets its answer; a later repeat finds the order and is therefore a refund (seed rule) —
 *    unless it is the very same signed request (same signature, pipeline/stages/signature-replay.ts):
 *    that is a re-sent consume and answers 3001001 订单号重复, so a refund needs a fresh signature.
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { DianpingConsumeCouponOrderRequest } from '../generated';
import { once } from '../pipeline/idempotency';
import { mapContext } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { metaOf } from '../ledger/coupons';
import type { CouponRecord, OrderRecord } from '../store/types';
import { couponCodes, dianpingFailed, findCoupon, orderAmounts } from './dianping-shared';
import { consumeOrder } from './dianping-consume';

async function refundCoupons(x: Exchange, order: OrderRecord): Promise<void> {
  const found = await Promise.all(order.couponCodes.map(async (code) => (await findCoupon(x, code)).coupon));
  order.couponCodes.forEach((code, i) => {
    if (!found[i]) x.notes.push(`coupon ${code} of order ${order.orderId} is not in the ledger`);
  });
  const used = found.filter((c): c is CouponRecord => c?.state === 'used');
  if (used.length === 0) return;
  const reason = `refund of Dianping order ${order.orderId} (P云 has no un-redeem call; nothing sent upstream)`;
  const r = await x.rt.store.transition(
    used.map((c) => c.id),
    'refunded',
    metaOf(x, reason),
  );
  if (r.applied) {
    x.notes.push(
      `order ${order.orderId}: ${used.map((c) => c.couponCode ?? c.id).join(', ')} used → refunded`,
    );
    return;
  }
  const blocking = r.illegal.filter((c) => c.state !== 'refunded');
  if (blocking.length > 0 || r.missing.length > 0) {
    const what = [...blocking.map((c) => `${c.id} is ${c.state}`), ...r.missing.map((id) => `${id} is gone`)];
    throw new CbError(
      'CB_ILLEGAL_TRANSITION',
      `order ${order.orderId} cannot be refunded: ${what.join(', ')}`,
    );
  }
  await refundCoupons(x, order);
}

async function refund(x: Exchange, order: OrderRecord, codes: string[] | undefined): Promise<void> {
  const foreign = (codes ?? []).filter((c) => !order.couponCodes.includes(c));
  if (foreign.length > 0) {
    throw new CbError(
      'CB_COUPON_MISMATCH',
      `order ${order.orderId} holds ${order.couponCodes.join(', ')}, not ${foreign.join(', ')}`,
    );
  }
  if (order.status === 'refunded') {
    x.notes.push(`order ${order.orderId} is already refunded; nothing changed`);
    return;
  }
  if (!order.details) {
    throw new CbError(
      'CB_ORDER_INCOMPLETE',
      `order ${order.orderId} has no details yet (consumeExtendCoupon first)`,
    );
  }
  await refundCoupons(x, order);
  await x.rt.store.putOrder({ ...order, status: 'refunded', exchangeId: x.id, updatedAt: x.now });
  x.notes.push(`order ${order.orderId} refunded; P云 has no un-redeem call, nothing sent upstream`);
}

export const dianpingOrder = inboundFlow<DianpingConsumeCouponOrderRequest>(async (x, f) => {
  const orderId = f.orderId;
  x.businessKeys.push(orderId);
  const codes = f.couponCode === undefined || f.couponCode === '' ? undefined : couponCodes(f.couponCode);
  const order = await x.rt.store.getOrder(x.partner!.id, orderId);
  if (order) {
    x.businessKeys.push(...order.couponCodes);
    // A refund needs a signature never seen: a verbatim re-send of the consume is its duplicate.
    if (x.signatureRepeat)
      throw new CbError('CB_ORDER_DUPLICATE', `order ${orderId}: this exact request was already received`);
    await refund(x, order, codes);
    x.map = mapContext(x);
    x.answer = successAnswer(x);
    x.outcome = 'recorded';
  } else if (!codes) {
    throw new CbError(
      'CB_REFUND_ORDER_NOT_FOUND',
      `order ${orderId} is unknown and the message has no couponCode to consume`,
    );
  } else {
    const amounts = orderAmounts(f);
    await once(x, () => consumeOrder(x, orderId, codes, amounts));
  }
}, dianpingFailed);
