/**
 * Decides an all-or-nothing transition from the coupons' current rows, read inside the write
 * transaction that applies it. The rule itself is ledger/state-machine.ts; the store only refuses
 * to apply anything the state machine does not allow.
 */
import { canTransition, type CouponState } from '../ledger/state-machine';
import type { CouponRecord, IllegalCoupon } from './types';

export function planTransition(
  ids: string[],
  current: (CouponRecord | undefined)[],
  to: CouponState,
): { illegal: IllegalCoupon[]; missing: string[] } {
  const illegal: IllegalCoupon[] = [];
  const missing: string[] = [];
  ids.forEach((id, i) => {
    const c = current[i];
    if (!c) missing.push(id);
    else if (!canTransition(c.state, to)) {
      illegal.push({ id: c.id, couponId: c.couponId, stockId: c.stockId, state: c.state });
    }
  });
  return { illegal, missing };
}
