/**
 * The ledger half of T4: finds the coupons Tencent names, sorts them (unknown / illegal /
 * available / already ended) and moves the available ones to expired or invalid in one
 * all-or-nothing transition. Nothing changes unless every coupon is known and either available
 * or already expired/invalid. A transition that loses a race (a coupon changed between reading
 * and writing) is planned again from fresh reads, at most three times.
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { metaOf } from '../ledger/coupons';
import type { CouponRecord, Store } from '../store/types';

export interface Requested {
  stock_id: string;
  coupon_id: string;
}

export interface Settled {
  requested: Requested;
  /** The record after settling: expired or invalid. */
  coupon: CouponRecord;
  /** When the ledger recorded the coupon's end. */
  endedAt: Date;
}

/** A coupon whose state (used, refunded) forbids the change. */
export interface Illegal {
  requested: Requested;
  coupon: CouponRecord;
}

export type SettlePlan =
  | { kind: 'unknown'; reasons: string[] }
  | { kind: 'illegal'; illegal: Illegal[] }
  | { kind: 'settled'; settled: Settled[] };

const ATTEMPTS = 3;

function ended(c: CouponRecord): boolean {
  return c.state === 'expired' || c.state === 'invalid';
}

/** Why a ledger record is not the coupon Tencent means (undefined: it is). */
function mismatch(r: Requested, c: CouponRecord | undefined, userCode: unknown): string | undefined {
  if (!c || c.state === 'pending') return `coupon ${r.coupon_id} is unknown`;
  if (c.stockId !== r.stock_id) return `coupon ${r.coupon_id} is not a coupon of stock ${r.stock_id}`;
  if (c.userCode && typeof userCode === 'string' && c.userCode !== userCode) {
    return `coupon ${r.coupon_id} belongs to another user_code`;
  }
  return undefined;
}

async function endedAt(store: Store, c: CouponRecord): Promise<Date> {
  const last = (await store.history(c.id)).filter((t) => t.to === c.state).at(-1);
  return last?.at ?? c.updatedAt;
}

export async function settleCoupons(
  x: Exchange,
  wanted: Requested[],
  to: 'expired' | 'invalid',
): Promise<SettlePlan> {
  const store = x.rt.store;
  const f = x.msg!.fields;
  for (let attempt = 1; ; attempt++) {
    const found = await Promise.all(wanted.map((r) => store.getCoupon({ couponId: r.coupon_id })));
    const reasons = wanted.map((r, i) => mismatch(r, found[i], f.user_code)).filter((m) => m !== undefined);
    if (reasons.length > 0) return { kind: 'unknown', reasons };
    const pairs = wanted.map((requested, i) => ({ requested, coupon: found[i]! }));
    const illegal = pairs.filter((p) => p.coupon.state !== 'available' && !ended(p.coupon));
    if (illegal.length > 0) return { kind: 'illegal', illegal };
    const available = pairs.filter((p) => p.coupon.state === 'available');
    const reason =
      typeof f.reason === 'string' && f.reason !== ''
        ? f.reason
        : `Tencent coupon_status ${String(f.coupon_status)}`;
    const r =
      available.length === 0
        ? undefined
        : await store.transition(
            available.map((p) => p.coupon.id),
            to,
            metaOf(x, reason),
          );
    if (r && !r.applied) {
      if (attempt < ATTEMPTS) continue;
      throw new CbError(
        'CB_IN_PROGRESS',
        `coupons ${available.map((p) => p.requested.coupon_id).join(', ')} kept changing while being settled`,
      );
    }
    const changed = new Map((r?.coupons ?? []).map((c) => [c.id, c]));
    if (changed.size > 0)
      x.notes.push(`ledger: ${[...changed.values()].map((c) => c.couponId).join(', ')} available → ${to}`);
    const settled = await Promise.all(
      pairs.map(async (p): Promise<Settled> => {
        const now = changed.get(p.coupon.id);
        return now
          ? { requested: p.requested, coupon: now, endedAt: x.now }
          : { requested: p.requested, coupon: p.coupon, endedAt: await endedAt(store, p.coupon) };
      }),
    );
    return { kind: 'settled', settled };
  }
}
