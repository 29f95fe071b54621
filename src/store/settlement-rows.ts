/**
 * Row ↔ record mapping of the settlement queries (sql/<backend>/settlement.sql), shared by both
 * backends. PostgreSQL returns counts and sums as bigint text, SQLite as numbers: both go
 * through Number(), exact for any 分 sum below 2^53.
 */
import { isCouponState } from '../ledger/state-machine';
import type { Row } from './rows';
import type {
  AnomalyRecord,
  ExchangeRecord,
  HalfConsumedOrder,
  Period,
  SettlementGroup,
  SettlementKind,
  UndeliveredClaim,
} from './types';

const optStr = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const date = (v: unknown): Date => new Date(v as string | Date);

function exactNumber(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`store: ${what} ${String(v)} is not an exact integer`);
  return n;
}

export function periodParams(p: Period, encodeDate: (d: Date) => unknown): Row {
  return { from: encodeDate(p.from), to: encodeDate(p.to) };
}

export function groupFromRow(r: Row): SettlementGroup {
  return {
    partner: String(r.partner),
    stockId: String(r.stock_id),
    kind: r.kind as SettlementKind,
    count: exactNumber(r.n, 'count'),
    valueFen: exactNumber(r.value_fen, 'value'),
    unvalued: exactNumber(r.unvalued, 'count'),
  };
}

export function undeliveredClaimFromRow(r: Row): UndeliveredClaim {
  if (!isCouponState(r.state)) throw new Error(`store: unknown coupon state ${String(r.state)}`);
  return {
    couponRef: String(r.id),
    partner: String(r.partner),
    requestId: String(r.request_id),
    couponId: optStr(r.coupon_id),
    grantSerial: optStr(r.grant_serial),
    state: r.state,
    reservedAt: date(r.at),
    exchangeId: optStr(r.exchange_id),
    idempotency: r.idem_state === 'started' ? 'started' : undefined,
  };
}

export function halfConsumedFromRow(r: Row): HalfConsumedOrder {
  return {
    partner: String(r.partner),
    orderId: String(r.order_id),
    couponRef: optStr(r.coupon_ref),
    couponCode: optStr(r.coupon_code),
    at: date(r.at),
    exchangeId: optStr(r.exchange_id),
  };
}

export function anomalyParams(e: ExchangeRecord, encodeDate: (d: Date) => unknown): Row[] {
  return (e.anomalies ?? []).map((a) => ({
    exchange_id: e.id,
    at: encodeDate(e.at),
    route: e.route,
    partner: e.partner ?? null,
    kind: a.kind,
    ref: a.ref,
    code: a.code ?? null,
    detail: a.detail,
  }));
}

export function anomalyFromRow(r: Row): AnomalyRecord {
  return {
    exchangeId: String(r.exchange_id),
    at: date(r.at),
    route: String(r.route),
    partner: optStr(r.partner),
    kind: String(r.kind),
    ref: String(r.ref),
    code: optStr(r.code),
    detail: String(r.detail),
  };
}
