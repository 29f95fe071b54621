/**
 * Flow D1 — Dianping consumeCoupon (优惠券核销) → P云 grant/sync redeem, one call per coupon code
 * (mappings/dianping-consume-coupon.yaml builds each call from ctx.code, ctx.share_fen, ledger.*).
 *   accept → couponCode (one code or a JSON list) and the 元 amounts as exact 分 → once per orderId
 *   → order already known → 3001001 → each code's ledger record and state → shares → build every
 *   call → send in turn → each redeemed code `used` → the order recorded (consumed, details).
 * Decisions where seed 004 is silent (also in docs/flows.md):
 *  - discount = orderAmount + freightFee − payAmount; each code's value is the ledger's face value
 *    when the ledger knows every coupon's, else the discount split with the remainder on the first.
 *    The split always runs over all the order's codes, so a retry computes the same shares.
 *  - a code listed twice, a malformed amount, or a negative discount → 3009011 naming the field.
 *  - a repeat of a consumed orderId → 3001001 whatever its payload; a concurrent duplicate waits
 *    for the first and gets 3001001 too, so P云 sees each code once.
 *  - a code this order already redeemed (a retry) is not sent again; a code used by another order
 *    or otherwise not available → 3009024, nothing sent.
 *  - P云 1403 counts as redeemed. A failure after some codes were redeemed is classified
 *    retryable whatever P云 said, so the orderId is never frozen half-consumed: the POS retries
 *    the same orderId and only the remaining codes are sent.
 *  - an unknown code is registered in the ledger as used (stock `dianping`, grant_serial = the
 *    serial sent, face value left unknown).
 */
import { CbError } from '../errors';
import type { Answer } from '../dialects/types';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { DianpingConsumeCouponRequest } from '../generated';
import { once } from '../pipeline/idempotency';
import { mapContext } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import type { RunOutcome } from '../ledger/idempotency';
import {
  couponCodes,
  dianpingFailed,
  dianpingUse,
  orderAmounts,
  orderDetails,
  runOutcome,
  sharesOf,
  type OrderAmounts,
} from './dianping-shared';
import { loadTargets, markUsed, planRedemptions, sendRedemptions } from './dianping-redeem';

/** Consumes an order's codes (D1, and D4 for a new orderId), run under the orderId's idempotency record. */
export async function consumeOrder(
  x: Exchange,
  orderId: string,
  codes: string[],
  amounts: OrderAmounts,
): Promise<{ answer: Answer; outcome: RunOutcome }> {
  const store = x.rt.store;
  const partner = x.partner!.id;
  let redeemedSome = false;
  try {
    const existing = await store.getOrder(partner, orderId);
    if (existing) throw new CbError('CB_ORDER_DUPLICATE', `order ${orderId} is already ${existing.status}`);
    const targets = await loadTargets(x, codes, (c) => dianpingUse(c)?.orderId === orderId);
    redeemedSome = targets.some((t) => t.done);
    for (const t of targets.filter((t) => t.done))
      x.notes.push(`${t.code}: already redeemed for order ${orderId}; not sent again`);
    const shares = sharesOf(
      targets.map((t) => t.coupon?.faceValue),
      amounts.discountFen,
    );
    const plans = planRedemptions(x, targets, shares);
    const reason = `redeemed at P云 for Dianping order ${orderId}`;
    const all = await sendRedemptions(
      x,
      plans,
      async (r) => {
        redeemedSome = true;
        await markUsed(x, r, { orderId }, reason);
      },
      `order:${partner}:${orderId}`,
    );
    if (all) {
      const appliedFen = Object.fromEntries(codes.map((c, i) => [c, shares[i]]));
      await store.putOrder({
        partner,
        orderId,
        status: 'consumed',
        couponCodes: codes,
        details: { ...orderDetails(x.msg!.fields, amounts), appliedFen },
        exchangeId: x.id,
        createdAt: x.now,
        updatedAt: x.now,
      });
      x.map ??= mapContext(x);
      x.answer = successAnswer(x);
      x.outcome = 'success';
      x.retryable = false;
      x.notes.push(`order ${orderId} consumed: ${codes.join(', ')}`);
    }
  } catch (e) {
    dianpingFailed(x, e);
  }
  return { answer: x.answer!, outcome: runOutcome(x, redeemedSome) };
}

/** The answer to a repeat of an orderId that was consumed. */
export function duplicateOrder(x: Exchange, orderId: string): () => Answer {
  return () => dianpingFailed(x, new CbError('CB_ORDER_DUPLICATE', `order ${orderId} was already consumed`));
}

export const dianpingConsume = inboundFlow<DianpingConsumeCouponRequest>(async (x, f) => {
  x.businessKeys.push(f.orderId);
  const codes = couponCodes(f.couponCode);
  const amounts = orderAmounts(f);
  await once(x, () => consumeOrder(x, f.orderId, codes, amounts), { onRepeat: duplicateOrder(x, f.orderId) });
}, dianpingFailed);
