/**
 * What the store decides, once for both backends. Each backend reads rows inside its own
 * transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory or row lock), hands them to these
 * functions and runs the statements they name; the functions touch no database and no clock, so
 * test/store/decisions.test.ts pins each rule with plain values. SQL, locks and transactions stay
 * in sqlite.ts and postgres.ts. The coupon state rule itself is ledger/state-machine.ts.
 */
import { CbError } from '../errors';
import { assertTransition, canRelease, canTransition, type CouponState } from '../ledger/state-machine';
import { outboxIdParam, type Row } from './rows';
import type {
  CouponQuery,
  CouponRecord,
  CouponReservation,
  IllegalCoupon,
  OutboxItem,
  QuotaLimits,
  ReserveResult,
  TransitionMeta,
} from './types';

/** A named statement of sql/<backend>/ and the parameters that pick its row(s). */
export interface Lookup {
  statement: string;
  params: Row;
}

const couponKeys = [
  ['id', 'coupons.by_id', 'id'],
  ['couponId', 'coupons.by_coupon_id', 'coupon_id'],
  ['grantSerial', 'coupons.by_grant_serial', 'grant_serial'],
  ['couponCode', 'coupons.by_coupon_code', 'coupon_code'],
] as const;

/** The first key the query names wins, in this order: id, couponId, grantSerial, couponCode. */
export function couponLookup(q: CouponQuery): Lookup | undefined {
  for (const [field, statement, param] of couponKeys) {
    const value = q[field];
    if (value !== undefined) return { statement, params: { [param]: value } };
  }
  return undefined;
}

export type QuotaDecision = 'within_quota' | Exclude<ReserveResult, 'reserved'>;

/**
 * `counts` is the row of `coupons.quota_counts`: the stock's coupons (`total`) and the user's
 * (`user_total`), pending reservations included. The stock's cap is checked first.
 */
export function quotaDecision(counts: Row, limits: QuotaLimits): QuotaDecision {
  if (Number(counts.total) >= limits.maxCoupons) return 'quota_exhausted';
  if (Number(counts.user_total) >= limits.maxPerUser) return 'user_quota_exhausted';
  return 'within_quota';
}

/** A reservation nobody described: the reserving partner, at `now`. */
export function reservationMeta(
  r: CouponReservation,
  meta: TransitionMeta | undefined,
  now: Date,
): TransitionMeta {
  return meta ?? { actor: r.partner, at: now };
}

/** Reservation ids are minted fresh per claim: a taken one is a bug, not a race to absorb. */
export function assertReserved<T>(inserted: T | undefined, id: string): T {
  if (inserted === undefined) throw new CbError('CB_INTERNAL', `coupon ${id} already exists`);
  return inserted;
}

function existing(cur: CouponRecord | undefined, id: string): CouponRecord {
  if (!cur) throw new CbError('CB_COUPON_NOT_FOUND', `coupon ${id}`);
  return cur;
}

/** P云's grant: pending → available. Returns the state the coupon leaves. */
export function activationFrom(cur: CouponRecord | undefined, id: string): CouponState {
  const c = existing(cur, id);
  assertTransition(c.state, 'available');
  return c.state;
}

/** Only a pending reservation may be dropped. Returns the state the coupon leaves. */
export function releaseFrom(cur: CouponRecord | undefined, id: string): CouponState {
  const c = existing(cur, id);
  if (!canRelease(c.state)) {
    throw new CbError(
      'CB_ILLEGAL_TRANSITION',
      `only a pending reservation can be released; ${id} is ${c.state}`,
    );
  }
  return c.state;
}

/** A sync registers coupons that exist upstream; a pending one would bypass the quota. */
export function assertSyncedState(state: CouponState): void {
  if (state === 'pending') {
    throw new CbError('CB_INTERNAL', 'a synced coupon cannot be pending; reserve it instead');
  }
}

/** Each coupon once, in the caller's order. */
export function transitionIds(ids: string[]): string[] {
  return [...new Set(ids)];
}

/**
 * Decides an all-or-nothing transition from the coupons' current rows (`current[i]` is the row of
 * `ids[i]`), read inside the write transaction that applies it: nothing is applied when any
 * coupon is missing or may not move to `to`.
 */
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

/**
 * An enqueue whose dedup key was taken: a no-op when the stored row (`outbox.by_dedup`) is the
 * same notification (kind, version, payload), a bug when it is a different one.
 */
export function assertSameOutboxItem(existingRow: Row, params: Row): void {
  const same =
    existingRow.kind === params.kind &&
    Number(existingRow.v) === params.v &&
    existingRow.payload === params.payload;
  if (!same) {
    throw new CbError(
      'CB_INTERNAL',
      `outbox ${String(params.destination)}/${String(params.dedup_key)} already holds a different notification`,
    );
  }
}

/** Claimed items go out oldest due first; ids break ties so the order is total. */
export function claimOrder(items: OutboxItem[]): OutboxItem[] {
  return [...items].sort(
    (a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || Number(a.id) - Number(b.id),
  );
}

/** `all-dead` or one outbox id; an id that is no integer names nothing (undefined). */
export function replayLookup(target: string): Lookup | undefined {
  if (target === 'all-dead') return { statement: 'outbox.replay_dead', params: {} };
  const id = outboxIdParam(target);
  return id === undefined ? undefined : { statement: 'outbox.replay_one', params: { id } };
}
