/**
 * Row ↔ record mapping shared by both backends. Both SELECT the same snake_case columns; SQLite
 * gives times as ISO text and PostgreSQL as Date (`new Date` reads both), JSON columns arrive as
 * text from both (the PostgreSQL pool is told not to parse json), blobs as Buffer.
 */
import { couponStates, isCouponState, type CouponState } from '../ledger/state-machine';
import type {
  ClaimOptions,
  CouponFields,
  CouponRecord,
  ExchangeRecord,
  IdemBeginResult,
  IdemKey,
  IdemOutcome,
  OrderRecord,
  OrderStatus,
  OutboxItem,
  OutboxItemInput,
  OutboxState,
  StockCounts,
  StockSync,
  StoredAnswer,
  Transition,
  TransitionMeta,
} from './types';

export type Row = Record<string, unknown>;

const date = (v: unknown): Date => new Date(v as string | Date);
const optDate = (v: unknown): Date | undefined => (v === null || v === undefined ? undefined : date(v));
const json = (v: unknown): unknown => JSON.parse(v as string);
const optJson = <T>(v: unknown): T | undefined =>
  v === null || v === undefined ? undefined : (json(v) as T);
const optStr = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const jsonParam = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

function state(v: unknown): CouponState {
  if (!isCouponState(v)) throw new Error(`store: unknown coupon state ${String(v)}`);
  return v;
}

export function idemFromRow(r: Row): Exclude<IdemBeginResult, { state: 'new' }> {
  if (r.state === 'started') {
    return { state: 'started', fingerprint: String(r.fingerprint), startedAt: date(r.started_at) };
  }
  return {
    state: 'finished',
    fingerprint: String(r.fingerprint),
    outcome: r.outcome as IdemOutcome,
    finishedAt: date(r.finished_at),
    answer: {
      status: Number(r.answer_status),
      contentType: String(r.answer_content_type),
      body: (r.answer_body as Buffer).toString('utf8'),
    },
  };
}

export function stockFromRow(r: Row): StockSync {
  return {
    stockId: String(r.stock_id),
    status: optNum(r.status),
    presentation: optJson<Record<string, unknown>>(r.presentation),
    updatedAt: date(r.updated_at),
  };
}

export function stockParams(s: StockSync, encodeDate: (d: Date) => unknown): Row {
  return {
    stock_id: s.stockId,
    status: s.status ?? null,
    presentation: jsonParam(s.presentation),
    updated_at: encodeDate(s.updatedAt),
  };
}

export function couponFromRow(r: Row): CouponRecord {
  return {
    id: String(r.id),
    stockId: String(r.stock_id),
    partner: String(r.partner),
    couponId: optStr(r.coupon_id),
    userCode: optStr(r.user_code),
    grantSerial: optStr(r.grant_serial),
    parkUuid: optStr(r.park_uuid),
    eventId: optStr(r.event_id),
    couponCode: optStr(r.coupon_code),
    couponType: optNum(r.coupon_type),
    faceValue: optNum(r.face_value),
    validFrom: optStr(r.valid_from),
    validUntil: optStr(r.valid_until),
    attrs: optJson<Record<string, unknown>>(r.attrs),
    state: state(r.state),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

/** Every coupon column as a named parameter; undefined fields become NULL. */
export function couponParams(c: Partial<CouponFields>): Row {
  return {
    id: c.id ?? null,
    stock_id: c.stockId ?? null,
    partner: c.partner ?? null,
    coupon_id: c.couponId ?? null,
    user_code: c.userCode ?? null,
    grant_serial: c.grantSerial ?? null,
    park_uuid: c.parkUuid ?? null,
    event_id: c.eventId ?? null,
    coupon_code: c.couponCode ?? null,
    coupon_type: c.couponType ?? null,
    face_value: c.faceValue ?? null,
    valid_from: c.validFrom ?? null,
    valid_until: c.validUntil ?? null,
    attrs: jsonParam(c.attrs),
  };
}

export function transitionFromRow(r: Row): Transition {
  return {
    couponRef: String(r.coupon_ref),
    from: r.from_state === null ? null : state(r.from_state),
    to: r.to_state === null ? null : state(r.to_state),
    at: date(r.at),
    actor: String(r.actor),
    exchangeId: optStr(r.exchange_id),
    reason: optStr(r.reason),
  };
}

export function countsFromRows(rows: Row[]): StockCounts {
  const byState = Object.fromEntries(couponStates.map((s) => [s, 0])) as Record<CouponState, number>;
  let issued = 0;
  for (const r of rows) {
    const n = Number(r.n);
    byState[state(r.state)] = n;
    issued += n;
  }
  return { issued, byState };
}

export function orderFromRow(r: Row): OrderRecord {
  return {
    partner: String(r.partner),
    orderId: String(r.order_id),
    status: r.status as OrderStatus,
    couponCodes: json(r.coupon_codes) as string[],
    details: optJson<Record<string, unknown>>(r.details),
    exchangeId: optStr(r.exchange_id),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export function orderParams(o: OrderRecord, encodeDate: (d: Date) => unknown): Row {
  return {
    partner: o.partner,
    order_id: o.orderId,
    status: o.status,
    coupon_codes: JSON.stringify(o.couponCodes),
    details: jsonParam(o.details),
    exchange_id: o.exchangeId ?? null,
    created_at: encodeDate(o.createdAt),
    updated_at: encodeDate(o.updatedAt),
  };
}

export function exchangeFromRow(r: Row, keys: string[]): ExchangeRecord {
  return {
    id: String(r.id),
    at: date(r.at),
    route: String(r.route),
    partner: optStr(r.partner),
    businessKeys: keys,
    outcome: String(r.outcome),
    durationMs: optNum(r.duration_ms),
    data: json(r.data),
  };
}

export function exchangeParams(e: ExchangeRecord, encodeDate: (d: Date) => unknown): Row {
  return {
    id: e.id,
    at: encodeDate(e.at),
    route: e.route,
    partner: e.partner ?? null,
    outcome: e.outcome,
    // whole milliseconds: the column is an integer in both backends (PostgreSQL refuses 14.7)
    duration_ms: e.durationMs === undefined ? null : Math.round(e.durationMs),
    data: JSON.stringify(e.data ?? null),
  };
}

export function outboxFromRow(r: Row): OutboxItem {
  return {
    id: String(r.id),
    kind: String(r.kind),
    v: Number(r.v),
    destination: String(r.destination),
    dedupKey: String(r.dedup_key),
    payload: json(r.payload),
    state: r.state as OutboxState,
    attempts: Number(r.attempts),
    nextAttemptAt: date(r.next_attempt_at),
    leaseUntil: optDate(r.lease_until),
    leasedBy: optStr(r.leased_by),
    lastError: optStr(r.last_error),
    answerSummary: optStr(r.answer_summary),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    deliveredAt: optDate(r.delivered_at),
  };
}

export function outboxParams(i: OutboxItemInput, now: Date, encodeDate: (d: Date) => unknown): Row {
  return {
    kind: i.kind,
    v: i.v,
    destination: i.destination,
    dedup_key: i.dedupKey,
    payload: JSON.stringify(i.payload ?? null),
    next_attempt_at: encodeDate(i.notBefore ?? now),
    now: encodeDate(now),
  };
}

/** Outbox ids are integers on both backends; anything else names no item. */
export function outboxIdParam(id: string): number | undefined {
  return /^[1-9]\d{0,15}$/.test(id) ? Number(id) : undefined;
}

export function idemParams(k: IdemKey): Row {
  return { partner: k.partner, route: k.route, key: k.key };
}

/** The answer columns; the body is stored as bytes so it replays byte for byte. */
export function answerParams(a: StoredAnswer): Row {
  return { status: a.status, content_type: a.contentType, body: Buffer.from(a.body, 'utf8') };
}

/** One line of a coupon's history; `to` null is a released reservation. */
export function transitionParams(
  ref: string,
  from: CouponState | null,
  to: CouponState | null,
  meta: TransitionMeta,
  encodeDate: (d: Date) => unknown,
): Row {
  return {
    coupon_ref: ref,
    from_state: from,
    to_state: to,
    at: encodeDate(meta.at),
    actor: meta.actor,
    exchange_id: meta.exchangeId ?? null,
    reason: meta.reason ?? null,
  };
}

export function claimParams(o: ClaimOptions, encodeDate: (d: Date) => unknown): Row {
  return {
    now: encodeDate(o.now),
    lease_until: encodeDate(new Date(o.now.getTime() + o.leaseMs)),
    worker: o.workerId,
    per_destination: o.perDestinationLimit,
    limit: o.limit,
  };
}
