/**
 * Flow D2 — Dianping consumeCoreCoupon (优惠券核心信息核销: couponCode + consumeTime, no order)
 * → P云 grant/sync redeem at once (mappings/dianping-consume-core-coupon.yaml); the order details
 * follow in consumeExtendCoupon (D3).
 * Decisions where seed 004 is silent (also in docs/flows.md):
 *  - one coupon code per message; a JSON list → 3009011.
 *  - the amount is unknown here: coupon_value and apply_value are the ledger's face value, else 0
 *    (P云: "非时间金额券的传0"); the mapping says so.
 *  - the ledger records the coupon `used` with attrs.dianping.core = {consumeTime, exchangeId}:
 *    core-consumed, awaiting its order details.
 *  - couponCode is the idempotency key (the mapping declares it): a coupon already core-consumed → 3001001 订单号重复 (the
 *    seed's only code for this route), a concurrent duplicate waits and gets the same; a coupon
 *    used otherwise (a D1 order, a Tencent sync) or not available → 3009024, nothing sent.
 *  - an `orderId` sent along (unknown extra field) is recorded as an order without details, so
 *    that consumeCouponOrder on it answers 3002002 until consumeExtendCoupon completes it; an
 *    orderId already known → 3001001.
 *  - P云 1403 counts as redeemed; a retryable P云 failure leaves no record, so the POS may retry.
 */
import { CbError } from '../errors';
import type { Answer } from '../dialects/types';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { DianpingConsumeCoreCouponRequest } from '../generated';
import { once } from '../pipeline/idempotency';
import { successAnswer } from '../pipeline/stages/answer';
import type { RunOutcome } from '../ledger/idempotency';
import { dianpingFailed, dianpingUse, runOutcome, singleCode } from './dianping-shared';
import { loadTargets, markUsed, planRedemptions, sendRedemptions } from './dianping-redeem';

function alreadyCore(code: string): CbError {
  return new CbError('CB_ORDER_DUPLICATE', `coupon ${code} was already core-consumed`);
}

async function coreConsume(
  x: Exchange,
  code: string,
  orderId: string | undefined,
): Promise<{ answer: Answer; outcome: RunOutcome }> {
  const store = x.rt.store;
  const partner = x.partner!.id;
  try {
    if (orderId && (await store.getOrder(partner, orderId))) {
      throw new CbError('CB_ORDER_DUPLICATE', `order ${orderId} is already known`);
    }
    const targets = await loadTargets(x, [code], (c) => dianpingUse(c)?.core !== undefined);
    if (targets[0].done) throw alreadyCore(code);
    const plans = planRedemptions(x, targets, [undefined]);
    const core = { consumeTime: Number(x.msg!.fields.consumeTime), exchangeId: x.id };
    const reason = 'core-consumed through Dianping consumeCoreCoupon';
    const owner = orderId ? `order:${partner}:${orderId}` : `core:${partner}:${code}`;
    if (await sendRedemptions(x, plans, (r) => markUsed(x, r, { core, orderId }, reason), owner)) {
      if (orderId) {
        await store.putOrder(
          {
            partner,
            orderId,
            status: 'consumed',
            couponCodes: [code],
            exchangeId: x.id,
            createdAt: x.now,
            updatedAt: x.now,
          },
          { ifAbsent: true },
        );
      }
      x.answer = successAnswer(x);
      x.outcome = 'success';
      x.retryable = false;
      x.notes.push(`coupon ${code} core-consumed; awaiting its order details (consumeExtendCoupon)`);
    }
  } catch (e) {
    dianpingFailed(x, e);
  }
  return { answer: x.answer!, outcome: runOutcome(x) };
}

export const dianpingCore = inboundFlow<DianpingConsumeCoreCouponRequest & { orderId?: unknown }>(
  async (x, f) => {
    const code = singleCode(f.couponCode);
    // an orderId sent along is not in the seed's message: read as whatever arrived
    const orderId = typeof f.orderId === 'string' && f.orderId !== '' ? f.orderId : undefined;
    if (orderId) x.businessKeys.push(orderId);
    await once(x, () => coreConsume(x, code, orderId), {
      onRepeat: () => dianpingFailed(x, alreadyCore(code)),
    });
  },
  dianpingFailed,
);
