/**
 * The storage contract. SQLite (embedded default) and PostgreSQL (shared by many instances)
 * implement it and pass one contract suite (test/store/contract.ts). The store offers atomic
 * primitives only — check-and-insert, check-and-update, claim — and no flow logic: which upstream
 * to call and how to map it live in ledger/, outbox/ and pipeline/.
 *
 * Times: every method that writes a time takes it explicitly (a `now`, or `meta.at`), so tests and
 * replays control the clock; where the parameter is optional it defaults to the wall clock.
 */
import type { CouponState } from '../ledger/state-machine';

export type { CouponState };
export type Backend = 'sqlite' | 'postgres';

/** How to open a SQLite store (sqlite.ts) or its migrator (migrator.ts), read off a `sqlite:` URL. */
export interface SqliteOptions {
  /** A file path (its directory is created) or ':memory:'. */
  path: string;
  busyTimeoutMs?: number;
  synchronous?: 'normal' | 'full';
}

// ——— idempotency (conventions 10: two explicit states) ———

export interface IdemKey {
  partner: string;
  route: string;
  /** The business key: Tencent request_id, P云 event_id / pay_serial, Dianping orderId. */
  key: string;
}

/** An answer exactly as sent to the caller; replayed byte for byte. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** `success` and `terminal` answers are replayed; a retryable failure is abandoned instead. */
export type IdemOutcome = 'success' | 'terminal';

/** An idemFinish carried by another write, to commit with it. */
export interface IdemFinish {
  k: IdemKey;
  answer: StoredAnswer;
  outcome: IdemOutcome;
  now?: Date;
}

export type IdemBeginResult =
  | { state: 'new' }
  | { state: 'started'; fingerprint: string; startedAt: Date }
  | { state: 'finished'; fingerprint: string; answer: StoredAnswer; outcome: IdemOutcome; finishedAt: Date };

// ——— stocks ———

/** The Tencent side of a stock, from /stock/rsync and /stock/status/rsync, layered over the catalogue file. */
export interface StockSync {
  stockId: string;
  /** Tencent stock_status (3 = running). Absent on write: keep the stored one. */
  status?: number;
  /** The /stock/rsync business fields as received. Absent on write: keep the stored ones. */
  presentation?: Record<string, unknown>;
  updatedAt: Date;
}

// ——— coupons ———

/** A coupon's identity across dialects. `id` is the ledger's own key, fixed at creation. */
export interface CouponFields {
  id: string;
  stockId: string;
  /** The partner the coupon was issued to or synced from (configuration name). */
  partner: string;
  /** Tencent coupon_id (for a claim: the P云 grant_serial, known once P云 granted). */
  couponId?: string;
  userCode?: string;
  grantSerial?: string;
  parkUuid?: string;
  eventId?: string;
  /** Dianping couponCode. */
  couponCode?: string;
  couponType?: number;
  /** Face value in 分. */
  faceValue?: number;
  /** Validity window as the partner sent it (ISO-8601 with offset). */
  validFrom?: string;
  validUntil?: string;
  attrs?: Record<string, unknown>;
}

export interface CouponRecord extends CouponFields {
  state: CouponState;
  createdAt: Date;
  updatedAt: Date;
}

/** A claim's reservation: counts against the quota while P云 is asked. */
export type CouponReservation = CouponFields & { userCode: string };

/** Fields P云's grant (or a later sync) fills in; undefined fields keep their stored value. */
export type CouponPatch = Partial<Omit<CouponFields, 'id' | 'stockId' | 'partner'>>;

export interface QuotaLimits {
  maxCoupons: number;
  maxPerUser: number;
}

export type ReserveResult = 'reserved' | 'quota_exhausted' | 'user_quota_exhausted';

/** Who changed a coupon, when, and in which exchange. */
export interface TransitionMeta {
  actor: string;
  at: Date;
  exchangeId?: string;
  reason?: string;
}

/** One line of a coupon's history. `from` null: created; `to` null: reservation released. */
export interface Transition {
  couponRef: string;
  from: CouponState | null;
  to: CouponState | null;
  at: Date;
  actor: string;
  exchangeId?: string;
  reason?: string;
}

export interface IllegalCoupon {
  id: string;
  couponId?: string;
  stockId: string;
  state: CouponState;
}

/** All-or-nothing: applied to every coupon, or to none (then `illegal`/`missing` say why). */
export type TransitionResult =
  | { applied: true; coupons: CouponRecord[] }
  | { applied: false; illegal: IllegalCoupon[]; missing: string[] };

export interface CouponQuery {
  id?: string;
  couponId?: string;
  grantSerial?: string;
  couponCode?: string;
}

export interface StockCounts {
  /** Every coupon of the stock, pending reservations included (what the quota counts). */
  issued: number;
  byState: Record<CouponState, number>;
}

export interface ListCouponsOptions {
  state?: CouponState;
  stockId?: string;
  limit?: number;
  offset?: number;
}

// ——— dianping orders ———

export type OrderStatus = 'consumed' | 'refunded';

export interface OrderRecord {
  partner: string;
  orderId: string;
  status: OrderStatus;
  couponCodes: string[];
  /** Order details (amounts in 分, shop, attributes…); absent until the partner sent them. */
  details?: Record<string, unknown>;
  exchangeId?: string;
  createdAt: Date;
  updatedAt: Date;
}

// ——— exchange journal ———

/** One exchange, already redacted by the caller. */
export interface ExchangeRecord {
  id: string;
  at: Date;
  route: string;
  partner?: string;
  /** Keys `trace` finds it by: request_id, orderId, pay_serial, coupon ids… */
  businessKeys: string[];
  outcome: string;
  durationMs?: number;
  /** Inbound, outbound, upstream answer, final answer, timings: JSON. */
  data: unknown;
  /** What needs a person (settlement discrepancies); stored with the exchange, kept after it is pruned. */
  anomalies?: AnomalyInput[];
}

// ——— settlement (issue 17) ———

/** A fact an exchange noticed that settlement must show: see reconcile/anomalies.ts for the kinds. */
export interface AnomalyInput {
  kind: string;
  /** The coupon (grant serial, coupon code, coupon id) or order it is about. */
  ref: string;
  /** P云's answer code, when there is one. */
  code?: string;
  detail: string;
}

export interface AnomalyRecord extends AnomalyInput {
  exchangeId: string;
  at: Date;
  route: string;
  partner?: string;
}

/** A half-open period [from, to) of instants; the reconcile layer turns calendar days into it. */
export interface Period {
  from: Date;
  to: Date;
}

export type SettlementKind = 'claimed' | 'redeemed' | 'expired' | 'invalidated' | 'refunded';

/** One (partner, stock, kind) group of ledger transitions in a period. */
export interface SettlementGroup {
  partner: string;
  stockId: string;
  kind: SettlementKind;
  count: number;
  /** Sum in 分 of the coupons' values whose value is known. */
  valueFen: number;
  /** Coupons in the group whose value the ledger does not know (counted, not summed). */
  unvalued: number;
}

/** A claim reserved in the period whose answer to the partner was never recorded. */
export interface UndeliveredClaim {
  couponRef: string;
  partner: string;
  requestId: string;
  couponId?: string;
  grantSerial?: string;
  state: CouponState;
  reservedAt: Date;
  exchangeId?: string;
  /** The request_id's idempotency record: 'started' (never finished) or undefined (missing). */
  idempotency?: 'started';
}

/** A Dianping order a person must finish: codes redeemed without the order, or an order without details. */
export interface HalfConsumedOrder {
  partner: string;
  orderId: string;
  /** The redeemed coupon's ledger id; undefined for an order that lacks its details. */
  couponRef?: string;
  couponCode?: string;
  at: Date;
  exchangeId?: string;
}

// ——— outbox (conventions 11: durable rows carry kind + v) ———

export type OutboxState = 'pending' | 'leased' | 'delivered' | 'dead';

export interface OutboxItemInput {
  /** e.g. 'tencent.coupon_status_rsync' with v 1; readers switch on both. */
  kind: string;
  v: number;
  /** The partner/upstream it goes to; the per-destination concurrency limit applies to it. */
  destination: string;
  /**
   * The partner-side dedup key (seq_id, orderId), stable across retries. Enqueueing the same
   * (destination, dedupKey) again with the same kind, v and payload is a no-op; with anything
   * different it throws, so a distinct notification is never silently dropped.
   */
  dedupKey: string;
  payload: unknown;
  /** First delivery not before this time (default: now). */
  notBefore?: Date;
}

export interface OutboxItem {
  id: string;
  kind: string;
  v: number;
  destination: string;
  dedupKey: string;
  payload: unknown;
  state: OutboxState;
  /** Claims so far: a claim counts as an attempt, so a crash mid-delivery is counted too. */
  attempts: number;
  nextAttemptAt: Date;
  leaseUntil?: Date;
  leasedBy?: string;
  lastError?: string;
  answerSummary?: string;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt?: Date;
}

export interface ClaimOptions {
  now: Date;
  limit: number;
  leaseMs: number;
  workerId: string;
  /** Leased (unexpired) items per destination, counted across all workers, never exceed this. */
  perDestinationLimit: number;
}

export interface ListOutboxOptions {
  state?: OutboxState;
  destination?: string;
  limit?: number;
  offset?: number;
}

export interface ListExchangesOptions {
  limit?: number;
  offset?: number;
}

export interface NonceEntry {
  scope: string;
  nonce: string;
  expiresAt: Date;
}

// ——— moving between stores (src/store/transfer.ts) ———

/** A column value between stores: times ISO-8601 UTC text, bytes base64, json columns their text. */
export type PortableValue = string | number | null;
export type PortableRow = Record<string, PortableValue>;

export interface TransferRecord {
  table: string;
  row: PortableRow;
}

export interface ExportOptions {
  /** Include the exchange journal. */
  journal: boolean;
  /** Nonces expired at this time are left out. */
  now: Date;
}

export interface Store {
  readonly backend: Backend;
  close(): Promise<void>;
  /** Throws CB_STORE_UNAVAILABLE when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  /** Highest applied migration version. */
  schemaVersion(): Promise<number>;

  // idempotency
  /** Exactly one concurrent caller gets `new` (and owns the started row). */
  idemBegin(k: IdemKey, fingerprint: string, now: Date): Promise<IdemBeginResult>;
  /** Records the answer of a started row; false when the row was not started (the first answer stays). */
  idemFinish(k: IdemKey, answer: StoredAnswer, outcome: IdemOutcome, now?: Date): Promise<boolean>;
  /** Deletes a started row after a retryable failure, so a retry runs again. */
  idemAbandon(k: IdemKey): Promise<boolean>;
  /** Takes over a started row begun before `olderThan` (a crashed holder); true when this caller now owns it. */
  idemReclaimStale(k: IdemKey, olderThan: Date, now?: Date): Promise<boolean>;
  /** Deletes finished records finished before `before`; started rows are never purged here. */
  purgeIdempotency(before: Date): Promise<number>;

  // replay protection
  /** True when remembered now; false when already seen and not yet expired. Atomic. */
  rememberNonce(scope: string, nonce: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** rememberNonce for many at once, in one transaction (group commit); one result per entry, in order. */
  rememberNonces(entries: NonceEntry[], now: Date): Promise<boolean[]>;
  purgeNonces(now: Date): Promise<number>;

  // stocks
  /** Upserts; `outbox` items (e.g. the forward to a real Tencent) are stored in the same transaction. */
  upsertStockSync(s: StockSync, outbox?: OutboxItemInput[]): Promise<void>;
  getStockSync(stockId: string): Promise<StockSync | undefined>;

  // coupons
  /** Atomic quota check + insert as `pending`; race-free across processes. */
  reserveCoupon(r: CouponReservation, limits: QuotaLimits, meta?: TransitionMeta): Promise<ReserveResult>;
  /**
   * pending → available with P云's grant; throws CB_COUPON_NOT_FOUND / CB_ILLEGAL_TRANSITION. With
   * `finish`, the claim's idempotency record is finished in the same transaction (idemFinish's
   * rule: only a started record takes it): the grant and the answer it gave are one commit.
   */
  activateCoupon(
    id: string,
    patch: CouponPatch,
    meta: TransitionMeta,
    finish?: IdemFinish,
  ): Promise<CouponRecord>;
  /** Drops a pending reservation (upstream refused); the history keeps the release. */
  releaseCoupon(id: string, meta: TransitionMeta): Promise<void>;
  /**
   * Registers a coupon from a sync. A known id gets its identity fields updated (undefined keeps
   * the stored value) but never its state: state changes go through `transition`.
   */
  upsertCoupon(
    c: CouponFields & { state: Exclude<CouponState, 'pending'> },
    meta: TransitionMeta,
  ): Promise<{ created: boolean; coupon: CouponRecord }>;
  getCoupon(q: CouponQuery): Promise<CouponRecord | undefined>;
  /** All-or-nothing per the state machine; `outbox` items are stored only when applied, in the same transaction. */
  transition(
    ids: string[],
    to: CouponState,
    meta: TransitionMeta,
    outbox?: OutboxItemInput[],
  ): Promise<TransitionResult>;
  history(id: string): Promise<Transition[]>;
  stockCounts(stockId: string): Promise<StockCounts>;
  listCoupons(opts?: ListCouponsOptions): Promise<CouponRecord[]>;

  // dianping orders
  getOrder(partner: string, orderId: string): Promise<OrderRecord | undefined>;
  /** Upserts; with `ifAbsent` only inserts. True when written. */
  putOrder(o: OrderRecord, opts?: { ifAbsent?: boolean }): Promise<boolean>;

  // exchange journal
  appendExchange(e: ExchangeRecord): Promise<void>;
  /** Many exchanges in one transaction (the journal writer batches them off the request path). */
  appendExchanges(list: ExchangeRecord[]): Promise<void>;
  getExchange(id: string): Promise<ExchangeRecord | undefined>;
  /** Oldest first. */
  findExchanges(businessKey: string): Promise<ExchangeRecord[]>;
  /** Newest first. */
  listExchanges(opts?: ListExchangesOptions): Promise<ExchangeRecord[]>;
  /** Deletes exchanges older than maxAgeMs, then all but the newest maxRows. */
  pruneJournal(maxAgeMs: number, maxRows: number, now: Date): Promise<number>;

  // outbox
  /** Returns how many items were new. */
  enqueue(items: OutboxItemInput[], now?: Date): Promise<number>;
  /** Leases due items (pending and due, or leased with an expired lease), oldest due first. */
  claimDue(opts: ClaimOptions): Promise<OutboxItem[]>;
  /** Delivered is final, even when the lease had passed to another worker. */
  markDelivered(id: string, answerSummary: string, now?: Date): Promise<boolean>;
  /**
   * Back to pending until `nextAttemptAt`, or dead when null. Applies only to a leased item (held
   * by `workerId` when given); false otherwise.
   */
  markFailed(
    id: string,
    error: string,
    nextAttemptAt: Date | null,
    opts?: { workerId?: string; now?: Date },
  ): Promise<boolean>;
  getOutbox(id: string): Promise<OutboxItem | undefined>;
  /** Oldest first. */
  listOutbox(opts?: ListOutboxOptions): Promise<OutboxItem[]>;
  /** Dead (or waiting pending) items become due now with a fresh attempt count. Returns how many. */
  replay(target: string | 'all-dead', now?: Date): Promise<number>;
  /** Deletes delivered items delivered before `olderThan`; nothing else is ever deleted. */
  purgeDelivered(olderThan: Date): Promise<number>;

  // settlement (issue 17): read-only queries over a period, each served by an index (migration 0004)
  /**
   * Transitions in the period grouped by partner, stock and kind: claimed (pending → available),
   * redeemed (→ used), expired, invalidated (→ invalid), refunded. The partner is the transition's
   * actor; a change P云 or couponbridge itself made is the coupon's partner's. Values: face value;
   * redeemed and refunded use the applied value sent to P云 when the ledger recorded one.
   */
  settlementGroups(p: Period, partner?: string): Promise<SettlementGroup[]>;
  /**
   * Claims (coupons with an event_id, reserved in the period before `staleBefore`) whose
   * idempotency record on `route` was never finished: still started, or missing while records are
   * kept (reserved at or after `keptSince`). Pending ones are included (P云 may have granted them).
   */
  undeliveredClaims(
    p: Period,
    route: string,
    staleBefore: Date,
    keptSince: Date,
  ): Promise<UndeliveredClaim[]>;
  /** Dianping codes redeemed in the period (before `staleBefore`) for an order never recorded, and orders without details. */
  halfConsumedOrders(p: Period, staleBefore: Date): Promise<HalfConsumedOrder[]>;
  /** Notifications created in the period that are dead, or pending / leased past `overdueBefore`. */
  overdueNotifications(p: Period, overdueBefore: Date): Promise<OutboxItem[]>;
  /** Anomalies journaled in the period, oldest first. */
  listAnomalies(p: Period, partner?: string): Promise<AnomalyRecord[]>;

  /** P1: the dedup record (finished with `answer`) and its notifications in ONE transaction. */
  recordPushWithNotifications(
    k: IdemKey,
    fingerprint: string,
    items: OutboxItemInput[],
    answer: StoredAnswer,
    now?: Date,
  ): Promise<'stored' | 'duplicate'>;

  // moving between stores
  /** Every transferred table's rows from one consistent snapshot, table by table in import order. */
  exportRows(opts: ExportOptions): AsyncIterable<TransferRecord>;
  /**
   * Loads exported rows in ONE transaction; refuses (nothing written) when any transferred table
   * already has rows, or a row names a table or column this store lacks. Returns rows per table.
   */
  importRows(records: AsyncIterable<TransferRecord>): Promise<Record<string, number>>;
}
