/**
 * Settlement (issue 17): what each partner's coupons did in a period, from the ledger's
 * transitions, and the discrepancies a person must look at. Plain functions over a Store, so the
 * CLI (`couponbridge reconcile`) and the console call the same code. docs/settlement.md explains
 * the rules.
 *
 * Periods are calendar days in Asia/Shanghai (+08:00, no daylight saving), both ends inclusive:
 * 2026-11-01..2026-11-30 is [2026-10-31T16:00Z, 2026-11-30T16:00Z).
 */
import type { AnomalyRecord, CouponRecord, OutboxItem, Period, SettlementGroup, Store } from '../store/types';
import { toCstIso } from '../time';

const DAY_MS = 86_400_000;
const CST_OFFSET_MS = 8 * 3_600_000;

/** Counts and 分 sums of one partner, or of one of its stocks. */
export interface Totals {
  claimed: number;
  redeemed: number;
  expired: number;
  invalidated: number;
  refunded: number;
  claimed_value_fen: number;
  redeemed_value_fen: number;
  refunded_value_fen: number;
}

export type StockStatement = { stock_id: string } & Totals;
export type PartnerStatement = { partner: string } & Totals & { stocks: StockStatement[] };

/** The T2 claim route (mappings/tencent-sp-coupon-receive.yaml): its idempotency records answer claims. */
export const CLAIM_ROUTE = 'tencent.sp-coupon-receive';

export const discrepancyKinds = [
  'notification_dead',
  'notification_overdue',
  'push_unknown_coupon',
  'redeem_duplicate',
  'redeem_refused',
  'dianping_half_consumed',
  'claim_answer_undelivered',
  'value_unknown',
] as const;
export type DiscrepancyKind = (typeof discrepancyKinds)[number];

export interface Discrepancy {
  kind: DiscrepancyKind;
  partner: string;
  /** The coupon, order or notification it is about. */
  ref: string;
  /** When it happened, +08:00. */
  at: string;
  detail: string;
  /** Give each to `couponbridge trace`. */
  exchange_ids: string[];
}

export interface Statement {
  from: string;
  to: string;
  partners: PartnerStatement[];
  discrepancies: Discrepancy[];
}

export interface ReconcileOptions {
  /** YYYY-MM-DD, Asia/Shanghai, inclusive. */
  from: string;
  to: string;
  partner?: string;
  /** The clock for "past its schedule" (default: now). */
  now?: Date;
  /** How long a notification may be past its next attempt, or a claim or order unfinished, before it is reported. */
  graceMs: number;
  /** Idempotency records finished before this were purged: a claim older than it cannot be checked for a missing one. */
  idempotencyKeptSince: Date;
  /** The claim route whose idempotency records answer claims (T2). */
  claimRoute: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayStart(date: string, what: string): number {
  const m = DATE.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new Error(`--${what} ${JSON.stringify(date)} is not a calendar date YYYY-MM-DD`);
  }
  return ms - CST_OFFSET_MS;
}

/** Calendar days in Asia/Shanghai, both inclusive → the half-open instant period the store reads. */
export function periodOf(from: string, to: string): Period {
  const start = dayStart(from, 'from');
  const end = dayStart(to, 'to') + DAY_MS;
  if (end <= start) throw new Error(`--to ${to} is before --from ${from}`);
  return { from: new Date(start), to: new Date(end) };
}

/** The Shanghai calendar month holding `at`, as the first and last day (the console's current month). */
export function monthOf(at: Date): { from: string; to: string } {
  const local = new Date(at.getTime() + CST_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const month = `${y}-${String(m + 1).padStart(2, '0')}`;
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

function zero(): Totals {
  return {
    claimed: 0,
    redeemed: 0,
    expired: 0,
    invalidated: 0,
    refunded: 0,
    claimed_value_fen: 0,
    redeemed_value_fen: 0,
    refunded_value_fen: 0,
  };
}

function add(t: Totals, g: SettlementGroup): void {
  t[g.kind] += g.count;
  if (g.kind === 'claimed') t.claimed_value_fen += g.valueFen;
  if (g.kind === 'redeemed') t.redeemed_value_fen += g.valueFen;
  if (g.kind === 'refunded') t.refunded_value_fen += g.valueFen;
}

/** Code-point order, the same on every backend and locale. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function partnerStatements(groups: SettlementGroup[]): PartnerStatement[] {
  const partners = new Map<string, { totals: Totals; stocks: Map<string, Totals> }>();
  for (const g of groups) {
    let p = partners.get(g.partner);
    if (!p) partners.set(g.partner, (p = { totals: zero(), stocks: new Map() }));
    let s = p.stocks.get(g.stockId);
    if (!s) p.stocks.set(g.stockId, (s = zero()));
    add(p.totals, g);
    add(s, g);
  }
  return [...partners.keys()].sort(byText).map((partner) => {
    const p = partners.get(partner)!;
    const stocks = [...p.stocks.keys()]
      .sort(byText)
      .map((stock_id) => ({ stock_id, ...p.stocks.get(stock_id)! }));
    return { partner, ...p.totals, stocks };
  });
}

function valueUnknown(groups: SettlementGroup[], period: Period): Discrepancy[] {
  return groups
    .filter((g) => g.unvalued > 0 && g.kind !== 'expired' && g.kind !== 'invalidated')
    .map((g) => ({
      kind: 'value_unknown' as const,
      partner: g.partner,
      ref: g.stockId,
      at: toCstIso(period.from.getTime()),
      detail: `${g.unvalued} of ${g.count} ${g.kind} coupon(s) of stock ${g.stockId} have no value in the ledger; their 分 are not in the sums (couponbridge ledger export --state …)`,
      exchange_ids: [],
    }));
}

/** The ledger coupons a notification's payload names (P1's Tencent and Dianping notifications, T4's expiry). */
async function couponsOf(store: Store, item: OutboxItem): Promise<CouponRecord[]> {
  const p = (item.payload ?? {}) as Record<string, unknown>;
  const found: Array<CouponRecord | undefined> = [];
  if (typeof p.coupon_id === 'string') found.push(await store.getCoupon({ couponId: p.coupon_id }));
  if (typeof p.grant_serial === 'string') found.push(await store.getCoupon({ grantSerial: p.grant_serial }));
  if (typeof p.couponCode === 'string') {
    let codes: unknown = p.couponCode;
    if (p.couponCode.startsWith('[')) codes = JSON.parse(p.couponCode) as unknown;
    for (const code of Array.isArray(codes) ? codes : [codes]) {
      const c = String(code);
      found.push((await store.getCoupon({ couponCode: c })) ?? (await store.getCoupon({ grantSerial: c })));
    }
  }
  return found.filter((c): c is CouponRecord => c !== undefined);
}

/** The exchanges that changed a coupon (from its history), in order, without repeats. */
async function exchangesOf(store: Store, coupons: CouponRecord[]): Promise<string[]> {
  const ids: string[] = [];
  for (const c of coupons) {
    for (const t of await store.history(c.id)) if (t.exchangeId) ids.push(t.exchangeId);
  }
  return [...new Set(ids)];
}

async function notificationDiscrepancies(
  store: Store,
  period: Period,
  overdueBefore: Date,
): Promise<Discrepancy[]> {
  const out: Discrepancy[] = [];
  for (const item of await store.overdueNotifications(period, overdueBefore)) {
    const coupons = await couponsOf(store, item);
    const attempts = (await store.findExchanges(`outbox:${item.id}`)).map((e) => e.id);
    const refs = coupons.map((c) => `${c.couponId ?? c.couponCode ?? c.id} (${c.state})`).join(', ');
    const when =
      item.state === 'dead'
        ? `dead after ${item.attempts} attempt(s)`
        : `${item.state}, due ${toCstIso((item.leaseUntil ?? item.nextAttemptAt).getTime())}, ${item.attempts} attempt(s)`;
    out.push({
      kind: item.state === 'dead' ? 'notification_dead' : 'notification_overdue',
      partner: coupons[0]?.partner ?? item.destination,
      ref: `outbox:${item.id}`,
      at: toCstIso(item.createdAt.getTime()),
      detail: [
        `${item.kind}@${item.v} to ${item.destination} (dedup ${item.dedupKey}) ${when}`,
        item.lastError ? `last error: ${item.lastError}` : '',
        refs ? `coupons: ${refs}` : '',
        item.state === 'dead' ? `couponbridge outbox replay ${item.id}` : '',
      ]
        .filter(Boolean)
        .join('; '),
      exchange_ids: [...new Set([...(await exchangesOf(store, coupons)), ...attempts])],
    });
  }
  return out;
}

function anomalyDiscrepancy(a: AnomalyRecord): Discrepancy {
  return {
    kind: a.kind as DiscrepancyKind,
    partner: a.partner ?? '',
    ref: a.ref,
    at: toCstIso(a.at.getTime()),
    detail: a.detail,
    exchange_ids: [a.exchangeId],
  };
}

async function halfConsumed(store: Store, period: Period, staleBefore: Date): Promise<Discrepancy[]> {
  const orders = new Map<string, Discrepancy & { codes: string[] }>();
  for (const o of await store.halfConsumedOrders(period, staleBefore)) {
    const key = `${o.partner}\u0000${o.orderId}`;
    let d = orders.get(key);
    if (!d) {
      d = {
        kind: 'dianping_half_consumed',
        partner: o.partner,
        ref: o.orderId,
        at: toCstIso(o.at.getTime()),
        detail: '',
        exchange_ids: [],
        codes: [],
      };
      orders.set(key, d);
    }
    if (o.couponCode) d.codes.push(o.couponCode);
    if (o.exchangeId && !d.exchange_ids.includes(o.exchangeId)) d.exchange_ids.push(o.exchangeId);
  }
  return [...orders.values()].map(({ codes, ...d }) => ({
    ...d,
    detail:
      codes.length > 0
        ? `order ${d.ref}: code(s) ${codes.join(', ')} redeemed at P云, but the order was never recorded (its other codes were not redeemed; the POS did not retry)`
        : `order ${d.ref}: core-consumed, its details (consumeExtendCoupon) never arrived; it cannot be refunded`,
  }));
}

async function undeliveredClaims(
  store: Store,
  period: Period,
  o: ReconcileOptions,
  staleBefore: Date,
): Promise<Discrepancy[]> {
  const claims = await store.undeliveredClaims(period, o.claimRoute, staleBefore, o.idempotencyKeptSince);
  return claims.map((c) => ({
    kind: 'claim_answer_undelivered' as const,
    partner: c.partner,
    ref: c.requestId,
    at: toCstIso(c.reservedAt.getTime()),
    detail:
      c.state === 'pending'
        ? `claim request_id ${c.requestId} is still a reservation: P云 may have granted it (event_id ${c.requestId}); the partner never got an answer`
        : `claim request_id ${c.requestId} was granted by P云 (grant_serial ${c.grantSerial ?? '?'}, coupon_id ${c.couponId ?? '?'}, now ${c.state}) but its answer was never recorded (idempotency record ${c.idempotency ?? 'missing'})`,
    exchange_ids: c.exchangeId ? [c.exchangeId] : [],
  }));
}

const kindOrder = (k: DiscrepancyKind): number => discrepancyKinds.indexOf(k);

/** The statement of a period: per partner and stock, and every discrepancy, in a stable order. */
export async function buildStatement(store: Store, o: ReconcileOptions): Promise<Statement> {
  const period = periodOf(o.from, o.to);
  const now = o.now ?? new Date();
  const cutoff = new Date(now.getTime() - o.graceMs);
  const groups = await store.settlementGroups(period, o.partner);
  const discrepancies = [
    ...valueUnknown(groups, period),
    ...(await notificationDiscrepancies(store, period, cutoff)),
    ...(await store.listAnomalies(period)).map(anomalyDiscrepancy),
    ...(await halfConsumed(store, period, cutoff)),
    ...(await undeliveredClaims(store, period, o, cutoff)),
  ]
    .filter((d) => o.partner === undefined || d.partner === o.partner)
    .sort(
      (a, b) =>
        kindOrder(a.kind) - kindOrder(b.kind) ||
        byText(a.at, b.at) ||
        byText(a.partner, b.partner) ||
        byText(a.ref, b.ref),
    );
  return { from: o.from, to: o.to, partners: partnerStatements(groups), discrepancies };
}
