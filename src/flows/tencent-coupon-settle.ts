/**
 * The ledger half of T4: finds the coupons Tencent names among the caller's own (by coupon id or
 * P云 grant serial; another partner's coupon counts as unknown), sorts them (unknown / illegal /
 * available / already ended) and moves the available ones to expired or invalid in one
 * all-or-nothing transition that also stores their notifications (the P云 expire of each), so the
 * ledger change and its propagation are durable together or not at all. Nothing changes unless
 * every coupon is known and either available or already expired/invalid. The notifications are
 * mapped by the caller BEFORE the transition, from each coupon as it will be stored. A coupon
 * already ended gets its notification enqueued again on its own (identical payload: a no-op, unless
 * it was lost); when the outbox already holds a different one under that key (the catalogue or
 * mapping changed since), the stored one is kept and noted. A transition that loses a race (a
 * coupon changed between reading and writing) is planned again from fresh reads, at most three times.
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { metaOf } from '../ledger/coupons';
import { byTencentRef, ownedCoupon } from '../ledger/ownership';
import type { CouponRecord, OutboxItemInput, Store } from '../store/types';
import { isDedupConflict } from './notification';

export interface Requested {
  stock_id: string;
  coupon_id: string;
}

export interface Settled {
  requested: Requested;
  /** The record as settled: expired or invalid (for one this request moves, as it is stored). */
  coupon: CouponRecord;
  /** When the ledger recorded the coupon's end (now for one this request moves). */
  endedAt: Date;
  /** Moved from available by this request. */
  changed: boolean;
}

/** Maps the notifications of the settled coupons, one per coupon in the same order; nothing stored yet. */
export type Notifications = (settled: Settled[]) => Promise<OutboxItemInput[]>;

/** A requested coupon with its ledger record. */
interface Found {
  requested: Requested;
  coupon: CouponRecord;
}

/** A coupon whose state (used, refunded) forbids the change. */
export type Illegal = Found;

export type SettlePlan =
  | { kind: 'unknown'; reasons: string[] }
  | { kind: 'illegal'; illegal: Illegal[] }
  | { kind: 'settled'; settled: Settled[]; items: OutboxItemInput[] };

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

/** How each coupon ends if this request goes through, without writing anything. */
async function plan(x: Exchange, pairs: Found[], to: 'expired' | 'invalid'): Promise<Settled[]> {
  return Promise.all(
    pairs.map(async ({ requested, coupon }): Promise<Settled> =>
      coupon.state === 'available'
        ? { requested, coupon: { ...coupon, state: to, updatedAt: x.now }, endedAt: x.now, changed: true }
        : { requested, coupon, endedAt: await endedAt(x.rt.store, coupon), changed: false },
    ),
  );
}

/** Re-enqueues the notification of each coupon ended earlier; a different stored one is kept. */
async function enqueueAgain(x: Exchange, items: OutboxItemInput[]): Promise<void> {
  for (const item of items) {
    try {
      await x.rt.store.enqueue([item], x.now);
    } catch (e) {
      if (!isDedupConflict(e)) throw e;
      x.notes.push(
        `outbox ${item.destination}/${item.dedupKey} already holds a different ${item.kind}: kept`,
      );
    }
  }
}

export async function settleCoupons(
  x: Exchange,
  wanted: Requested[],
  to: 'expired' | 'invalid',
  notifications: Notifications,
): Promise<SettlePlan> {
  const store = x.rt.store;
  const f = x.msg!.fields;
  const reason =
    typeof f.reason === 'string' && f.reason !== ''
      ? f.reason
      : `Tencent coupon_status ${String(f.coupon_status)}`;
  for (let attempt = 1; ; attempt++) {
    // Another partner's coupon is looked up as absent: answered exactly as an unknown one.
    const owned = await Promise.all(
      wanted.map((r) => ownedCoupon(store, x.partner!.id, ...byTencentRef(r.coupon_id))),
    );
    owned.forEach((o, i) => {
      if (o.foreign)
        x.notes.push(`coupon ${wanted[i].coupon_id} belongs to another partner: answered as unknown`);
    });
    const found = owned.map((o) => o.coupon);
    const reasons = wanted.map((r, i) => mismatch(r, found[i], f.user_code)).filter((m) => m !== undefined);
    if (reasons.length > 0) return { kind: 'unknown', reasons };
    const pairs = wanted.map((requested, i) => ({ requested, coupon: found[i]! }));
    const illegal = pairs.filter((p) => p.coupon.state !== 'available' && !ended(p.coupon));
    if (illegal.length > 0) return { kind: 'illegal', illegal };
    const settled = await plan(x, pairs, to);
    const items = await notifications(settled);
    const moving = settled.filter((s) => s.changed);
    if (moving.length > 0) {
      const ids = moving.map((s) => s.coupon.id);
      const r = await store.transition(
        ids,
        to,
        metaOf(x, reason),
        items.filter((_, i) => settled[i].changed),
      );
      if (!r.applied) {
        if (attempt < ATTEMPTS) continue;
        throw new CbError(
          'CB_IN_PROGRESS',
          `coupons ${moving.map((s) => s.requested.coupon_id).join(', ')} kept changing while being settled`,
        );
      }
      x.notes.push(`ledger: ${moving.map((s) => s.requested.coupon_id).join(', ')} available → ${to}`);
    }
    await enqueueAgain(
      x,
      items.filter((_, i) => !settled[i].changed),
    );
    return { kind: 'settled', settled, items };
  }
}
