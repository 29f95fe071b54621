/**
 * The coupon state machine, pure. A claim reserves a coupon as `pending` (it counts against the
 * stock's quota while P云 is asked); P云's grant makes it `available`; a refused grant releases the
 * reservation (the row is deleted, so "released" is not a state). From `available` a coupon is
 * spent (`used`) or ends (`expired`, `invalid`); a spent coupon can only be `refunded`.
 * The store applies every change through `canTransition`, so no caller can apply an illegal one.
 */
import { CbError } from '../errors';

export const couponStates = ['pending', 'available', 'used', 'expired', 'invalid', 'refunded'] as const;
export type CouponState = (typeof couponStates)[number];

const next: Record<CouponState, readonly CouponState[]> = {
  pending: ['available'],
  available: ['used', 'expired', 'invalid'],
  used: ['refunded'],
  expired: [],
  invalid: [],
  refunded: [],
};

export function isCouponState(s: unknown): s is CouponState {
  return typeof s === 'string' && (couponStates as readonly string[]).includes(s);
}

export function canTransition(from: CouponState, to: CouponState): boolean {
  return next[from].includes(to);
}

export function assertTransition(from: CouponState, to: CouponState): void {
  if (!canTransition(from, to)) {
    throw new CbError('CB_ILLEGAL_TRANSITION', `a coupon in state ${from} cannot become ${to}`);
  }
}

/** Only a reservation still waiting for P云's grant may be dropped. */
export function canRelease(state: CouponState): boolean {
  return state === 'pending';
}

/** Tencent `coupon_status`: 1 available, 2 used, 3 expired, 4 invalid (seed 002). */
export type TencentCouponStatus = 1 | 2 | 3 | 4;

const fromTencent: Record<TencentCouponStatus, CouponState> = {
  1: 'available',
  2: 'used',
  3: 'expired',
  4: 'invalid',
};

export function fromTencentStatus(status: number): CouponState | undefined {
  return fromTencent[status as TencentCouponStatus];
}

/**
 * The status Tencent should see. Tencent has no refund state: a refunded coupon was spent, so it
 * reads as used (2). A pending reservation has not been handed to Tencent yet: undefined.
 */
export function toTencentStatus(state: CouponState): TencentCouponStatus | undefined {
  switch (state) {
    case 'pending':
      return undefined;
    case 'available':
      return 1;
    case 'used':
    case 'refunded':
      return 2;
    case 'expired':
      return 3;
    case 'invalid':
      return 4;
  }
}
