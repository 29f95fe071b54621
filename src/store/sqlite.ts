/**
 * The embedded store: one SQLite file through better-sqlite3 (synchronous; each method does its
 * work in one synchronous step and returns a settled promise).
 *
 * - WAL: readers never block the writer; other processes may open the same file.
 * - Every write runs in `db.transaction(fn).immediate()` (BEGIN IMMEDIATE): the write lock is taken
 *   before the first read, so check-and-insert (idempotency, quota, state) is atomic across
 *   connections and processes. `busy_timeout` (default 5000 ms) makes a second writer wait.
 * - That wait blocks the event loop (better-sqlite3 is synchronous). So once a write gave up on a
 *   lock held past busy_timeout (SQLITE_BUSY), the next writes do not wait at all until one gets
 *   the lock: one caller pays the wait, the others are answered 503 at once instead of each
 *   stalling the process for busy_timeout in turn. The first successful write restores the wait.
 * - SQLITE_BUSY, SQLITE_FULL (disk or max_page_count), SQLITE_READONLY and I/O errors fail the one
 *   call as CB_STORE_UNAVAILABLE (failures.ts); the transaction is rolled back and the connection
 *   stays usable.
 * - synchronous=NORMAL (default): in WAL mode a commit survives a process crash (kill -9) — the WAL
 *   is written before the commit returns; only an OS crash or power loss can drop the last commits,
 *   and never corrupts the file. `?synchronous=full` in the URL fsyncs every commit instead.
 * - Statements are the named artefacts of sql/sqlite/, all prepared once at open.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CbError } from '../errors';
import { assertTransition, canRelease } from '../ledger/state-machine';
import { storeFailure } from './failures';
import { planTransition } from './plan';
import {
  couponFromRow,
  couponParams,
  countsFromRows,
  exchangeFromRow,
  exchangeParams,
  idemFromRow,
  orderFromRow,
  orderParams,
  outboxFromRow,
  outboxIdParam,
  outboxParams,
  sameOutboxItem,
  stockFromRow,
  stockParams,
  transitionFromRow,
  type Row,
} from './rows';
import {
  anomalyFromRow,
  anomalyParams,
  groupFromRow,
  halfConsumedFromRow,
  periodParams,
  undeliveredClaimFromRow,
} from './settlement-rows';
import { applySqliteMigrations } from './migrator';
import {
  encodeRow,
  EXPORT_FILTERS,
  importInto,
  transferTables,
  type ColumnKind,
  type TableShape,
} from './transfer';
import { loadStatements, type Statements } from './sql-files';
import type {
  AnomalyRecord,
  ClaimOptions,
  CouponFields,
  CouponPatch,
  CouponQuery,
  CouponRecord,
  CouponReservation,
  CouponState,
  ExchangeRecord,
  HalfConsumedOrder,
  ExportOptions,
  IdemBeginResult,
  IdemKey,
  IdemOutcome,
  NonceEntry,
  ListCouponsOptions,
  ListExchangesOptions,
  ListOutboxOptions,
  OrderRecord,
  OutboxItem,
  OutboxItemInput,
  Period,
  QuotaLimits,
  ReserveResult,
  SettlementGroup,
  StockCounts,
  StockSync,
  Store,
  StoredAnswer,
  TransferRecord,
  Transition,
  TransitionMeta,
  TransitionResult,
  UndeliveredClaim,
} from './types';

export interface SqliteOptions {
  /** A file path (its directory is created) or ':memory:'. */
  path: string;
  busyTimeoutMs?: number;
  synchronous?: 'normal' | 'full';
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const iso = (d: Date): string => d.toISOString();
const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const EXPORT_PAGE = 1000;
const idem = (k: IdemKey): Row => ({ partner: k.partner, route: k.route, key: k.key });
const answerParams = (a: StoredAnswer): Row => ({
  status: a.status,
  content_type: a.contentType,
  body: Buffer.from(a.body, 'utf8'),
});

export function openSqlite(opts: SqliteOptions): SqliteStore {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)}`);
    db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    const sql = loadStatements('sqlite');
    applySqliteMigrations(db);
    return new SqliteStore(db, sql, opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  } catch (e) {
    db.close();
    throw storeFailure(e);
  }
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  private readonly st: Record<string, Database.Statement>;
  /** A write gave up on a lock held past busy_timeout; writes do not wait until one succeeds. */
  private contended = false;

  constructor(
    private readonly db: Database.Database,
    sql: Statements,
    private readonly busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
  ) {
    this.st = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]));
  }

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(storeFailure(e));
    }
  }

  private write<T>(fn: () => T): Promise<T> {
    return this.read(() => {
      try {
        const result = this.db.transaction(fn).immediate();
        if (this.contended) this.setContended(false);
        return result;
      } catch (e) {
        if ((e as { code?: unknown }).code === 'SQLITE_BUSY' && !this.contended) this.setContended(true);
        throw e;
      }
    });
  }

  private setContended(on: boolean): void {
    this.contended = on;
    this.db.pragma(`busy_timeout = ${on ? 0 : Math.trunc(this.busyTimeoutMs)}`);
  }

  private get(name: string, params: Row = {}): Row | undefined {
    return this.st[name].get(params) as Row | undefined;
  }

  private all(name: string, params: Row = {}): Row[] {
    return this.st[name].all(params) as Row[];
  }

  private run(name: string, params: Row = {}): number {
    return this.st[name].run(params).changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  ping(): Promise<void> {
    return this.read(() => void this.get('meta.version'));
  }

  schemaVersion(): Promise<number> {
    return this.read(() => Number(this.get('meta.version')?.version));
  }

  // ——— idempotency ———

  idemBegin(k: IdemKey, fingerprint: string, now: Date): Promise<IdemBeginResult> {
    return this.write(() => {
      const p = { ...idem(k), fingerprint, now: iso(now) };
      if (this.get('idempotency.insert_started', p)) return { state: 'new' as const };
      return idemFromRow(this.get('idempotency.get', p) as Row);
    });
  }

  idemFinish(k: IdemKey, answer: StoredAnswer, outcome: IdemOutcome, now = new Date()): Promise<boolean> {
    return this.write(
      () =>
        this.run('idempotency.finish', { ...idem(k), ...answerParams(answer), outcome, now: iso(now) }) > 0,
    );
  }

  idemAbandon(k: IdemKey): Promise<boolean> {
    return this.write(() => this.run('idempotency.abandon', idem(k)) > 0);
  }

  idemReclaimStale(k: IdemKey, olderThan: Date, now = new Date()): Promise<boolean> {
    return this.write(
      () => this.run('idempotency.reclaim', { ...idem(k), older_than: iso(olderThan), now: iso(now) }) > 0,
    );
  }

  purgeIdempotency(before: Date): Promise<number> {
    return this.write(() => this.run('idempotency.purge', { before: iso(before) }));
  }

  // ——— nonces ———

  rememberNonce(scope: string, nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.write(
      () =>
        this.get('nonces.remember', { scope, nonce, expires_at: iso(expiresAt), now: iso(now) }) !==
        undefined,
    );
  }

  rememberNonces(entries: NonceEntry[], now: Date): Promise<boolean[]> {
    const at = iso(now);
    return this.write(() =>
      entries.map(
        (e) =>
          this.get('nonces.remember', {
            scope: e.scope,
            nonce: e.nonce,
            expires_at: iso(e.expiresAt),
            now: at,
          }) !== undefined,
      ),
    );
  }

  purgeNonces(now: Date): Promise<number> {
    return this.write(() => this.run('nonces.purge', { now: iso(now) }));
  }

  // ——— stocks ———

  upsertStockSync(s: StockSync, outbox: OutboxItemInput[] = []): Promise<void> {
    return this.write(() => {
      this.run('stocks.upsert', stockParams(s, iso));
      this.enqueueNow(outbox, s.updatedAt);
    });
  }

  getStockSync(stockId: string): Promise<StockSync | undefined> {
    return this.read(() => {
      const r = this.get('stocks.get', { stock_id: stockId });
      return r && stockFromRow(r);
    });
  }

  // ——— coupons ———

  private record(ref: string, from: CouponState | null, to: CouponState | null, meta: TransitionMeta): void {
    this.run('coupons.record_transition', {
      coupon_ref: ref,
      from_state: from,
      to_state: to,
      at: iso(meta.at),
      actor: meta.actor,
      exchange_id: meta.exchangeId ?? null,
      reason: meta.reason ?? null,
    });
  }

  private byId(id: string): CouponRecord | undefined {
    const r = this.get('coupons.by_id', { id });
    return r && couponFromRow(r);
  }

  private insertCoupon(c: CouponFields, state: CouponState, meta: TransitionMeta): CouponRecord | undefined {
    const r = this.get('coupons.insert', { ...couponParams(c), state, now: iso(meta.at) });
    if (!r) return undefined;
    this.record(c.id, null, state, meta);
    return couponFromRow(r);
  }

  reserveCoupon(r: CouponReservation, limits: QuotaLimits, meta?: TransitionMeta): Promise<ReserveResult> {
    return this.write(() => {
      const n = this.get('coupons.quota_counts', { stock_id: r.stockId, user_code: r.userCode }) as Row;
      if (Number(n.total) >= limits.maxCoupons) return 'quota_exhausted';
      if (Number(n.user_total) >= limits.maxPerUser) return 'user_quota_exhausted';
      if (!this.insertCoupon(r, 'pending', meta ?? { actor: r.partner, at: new Date() })) {
        throw new CbError('CB_INTERNAL', `coupon ${r.id} already exists`);
      }
      return 'reserved';
    });
  }

  activateCoupon(id: string, patch: CouponPatch, meta: TransitionMeta): Promise<CouponRecord> {
    return this.write(() => {
      const cur = this.byId(id);
      if (!cur) throw new CbError('CB_COUPON_NOT_FOUND', `coupon ${id}`);
      assertTransition(cur.state, 'available');
      this.get('coupons.patch', { ...couponParams(patch), id, now: iso(meta.at) });
      const r = this.get('coupons.set_state', {
        id,
        from: cur.state,
        to: 'available',
        now: iso(meta.at),
      }) as Row;
      this.record(id, cur.state, 'available', meta);
      return couponFromRow(r);
    });
  }

  releaseCoupon(id: string, meta: TransitionMeta): Promise<void> {
    return this.write(() => {
      const cur = this.byId(id);
      if (!cur) throw new CbError('CB_COUPON_NOT_FOUND', `coupon ${id}`);
      if (!canRelease(cur.state)) {
        throw new CbError(
          'CB_ILLEGAL_TRANSITION',
          `only a pending reservation can be released; ${id} is ${cur.state}`,
        );
      }
      this.run('coupons.delete_pending', { id });
      this.record(id, cur.state, null, meta);
    });
  }

  upsertCoupon(
    c: CouponFields & { state: Exclude<CouponState, 'pending'> },
    meta: TransitionMeta,
  ): Promise<{ created: boolean; coupon: CouponRecord }> {
    return this.write(() => {
      if ((c.state as CouponState) === 'pending') {
        throw new CbError('CB_INTERNAL', 'a synced coupon cannot be pending; reserve it instead');
      }
      const created = this.insertCoupon(c, c.state, meta);
      if (created) return { created: true, coupon: created };
      const r = this.get('coupons.patch', { ...couponParams(c), now: iso(meta.at) }) as Row;
      return { created: false, coupon: couponFromRow(r) };
    });
  }

  getCoupon(q: CouponQuery): Promise<CouponRecord | undefined> {
    return this.read(() => {
      const r =
        q.id !== undefined
          ? this.get('coupons.by_id', { id: q.id })
          : q.couponId !== undefined
            ? this.get('coupons.by_coupon_id', { coupon_id: q.couponId })
            : q.grantSerial !== undefined
              ? this.get('coupons.by_grant_serial', { grant_serial: q.grantSerial })
              : q.couponCode !== undefined
                ? this.get('coupons.by_coupon_code', { coupon_code: q.couponCode })
                : undefined;
      return r && couponFromRow(r);
    });
  }

  transition(
    ids: string[],
    to: CouponState,
    meta: TransitionMeta,
    outbox: OutboxItemInput[] = [],
  ): Promise<TransitionResult> {
    return this.write((): TransitionResult => {
      const unique = [...new Set(ids)];
      const current = unique.map((id) => this.byId(id));
      const { illegal, missing } = planTransition(unique, current, to);
      if (illegal.length > 0 || missing.length > 0) return { applied: false, illegal, missing };
      const coupons = (current as CouponRecord[]).map((c) => {
        const r = this.get('coupons.set_state', { id: c.id, from: c.state, to, now: iso(meta.at) }) as Row;
        this.record(c.id, c.state, to, meta);
        return couponFromRow(r);
      });
      this.enqueueNow(outbox, meta.at);
      return { applied: true, coupons };
    });
  }

  history(id: string): Promise<Transition[]> {
    return this.read(() => this.all('coupons.history', { coupon_ref: id }).map(transitionFromRow));
  }

  stockCounts(stockId: string): Promise<StockCounts> {
    return this.read(() => countsFromRows(this.all('coupons.count_by_state', { stock_id: stockId })));
  }

  listCoupons(opts: ListCouponsOptions = {}): Promise<CouponRecord[]> {
    return this.read(() =>
      this.all('coupons.list', {
        state: opts.state ?? null,
        stock_id: opts.stockId ?? null,
        limit: opts.limit ?? -1,
        offset: opts.offset ?? 0,
      }).map(couponFromRow),
    );
  }

  // ——— orders ———

  getOrder(partner: string, orderId: string): Promise<OrderRecord | undefined> {
    return this.read(() => {
      const r = this.get('orders.get', { partner, order_id: orderId });
      return r && orderFromRow(r);
    });
  }

  putOrder(o: OrderRecord, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    return this.write(
      () => this.run(opts.ifAbsent ? 'orders.insert' : 'orders.upsert', orderParams(o, iso)) > 0,
    );
  }

  // ——— journal ———

  private withKeys(r: Row): ExchangeRecord {
    const keys = this.all('journal.keys_of', { id: r.id }).map((k) => String(k.business_key));
    return exchangeFromRow(r, keys);
  }

  appendExchange(e: ExchangeRecord): Promise<void> {
    return this.appendExchanges([e]);
  }

  appendExchanges(list: ExchangeRecord[]): Promise<void> {
    return this.write(() => {
      for (const e of list) {
        this.run('journal.insert', exchangeParams(e, iso));
        for (const key of new Set(e.businessKeys)) this.run('journal.insert_key', { key, id: e.id });
        for (const a of anomalyParams(e, iso)) this.run('settlement.insert_anomaly', a);
      }
    });
  }

  getExchange(id: string): Promise<ExchangeRecord | undefined> {
    return this.read(() => {
      const r = this.get('journal.get', { id });
      return r && this.withKeys(r);
    });
  }

  findExchanges(businessKey: string): Promise<ExchangeRecord[]> {
    return this.read(() => this.all('journal.find', { key: businessKey }).map((r) => this.withKeys(r)));
  }

  listExchanges(opts: ListExchangesOptions = {}): Promise<ExchangeRecord[]> {
    return this.read(() =>
      this.all('journal.list', { limit: opts.limit ?? -1, offset: opts.offset ?? 0 }).map((r) =>
        this.withKeys(r),
      ),
    );
  }

  pruneJournal(maxAgeMs: number, maxRows: number, now: Date): Promise<number> {
    return this.write(
      () =>
        this.run('journal.prune_age', { before: iso(new Date(now.getTime() - maxAgeMs)) }) +
        this.run('journal.prune_count', { keep: maxRows }),
    );
  }

  // ——— outbox ———

  private enqueueNow(items: OutboxItemInput[], now: Date): number {
    let added = 0;
    for (const item of items) {
      const p = outboxParams(item, now, iso);
      if (this.get('outbox.insert', p)) added += 1;
      else if (!sameOutboxItem(this.get('outbox.by_dedup', p) as Row, p)) {
        throw new CbError(
          'CB_INTERNAL',
          `outbox ${item.destination}/${item.dedupKey} already holds a different notification`,
        );
      }
    }
    return added;
  }

  enqueue(items: OutboxItemInput[], now = new Date()): Promise<number> {
    return this.write(() => this.enqueueNow(items, now));
  }

  claimDue(o: ClaimOptions): Promise<OutboxItem[]> {
    return this.write(() =>
      this.all('outbox.claim', {
        now: iso(o.now),
        lease_until: iso(new Date(o.now.getTime() + o.leaseMs)),
        worker: o.workerId,
        per_destination: o.perDestinationLimit,
        limit: o.limit,
      })
        .map(outboxFromRow)
        .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || Number(a.id) - Number(b.id)),
    );
  }

  markDelivered(id: string, answerSummary: string, now = new Date()): Promise<boolean> {
    return this.write(
      () =>
        this.run('outbox.delivered', {
          id: outboxIdParam(id) ?? null,
          summary: answerSummary,
          now: iso(now),
        }) > 0,
    );
  }

  markFailed(
    id: string,
    error: string,
    nextAttemptAt: Date | null,
    opts: { workerId?: string; now?: Date } = {},
  ): Promise<boolean> {
    return this.write(
      () =>
        this.run('outbox.failed', {
          id: outboxIdParam(id) ?? null,
          error,
          next_attempt_at: nextAttemptAt && iso(nextAttemptAt),
          worker: opts.workerId ?? null,
          now: iso(opts.now ?? new Date()),
        }) > 0,
    );
  }

  getOutbox(id: string): Promise<OutboxItem | undefined> {
    return this.read(() => {
      const r = this.get('outbox.get', { id: outboxIdParam(id) ?? null });
      return r && outboxFromRow(r);
    });
  }

  listOutbox(opts: ListOutboxOptions = {}): Promise<OutboxItem[]> {
    return this.read(() =>
      this.all('outbox.list', {
        state: opts.state ?? null,
        destination: opts.destination ?? null,
        limit: opts.limit ?? -1,
        offset: opts.offset ?? 0,
      }).map(outboxFromRow),
    );
  }

  replay(target: string, now = new Date()): Promise<number> {
    return this.write(() =>
      target === 'all-dead'
        ? this.run('outbox.replay_dead', { now: iso(now) })
        : this.run('outbox.replay_one', { id: outboxIdParam(target) ?? null, now: iso(now) }),
    );
  }

  purgeDelivered(olderThan: Date): Promise<number> {
    return this.write(() => this.run('outbox.purge_delivered', { before: iso(olderThan) }));
  }

  // ——— settlement ———

  settlementGroups(p: Period, partner?: string): Promise<SettlementGroup[]> {
    return this.read(() =>
      this.all('settlement.groups', { ...periodParams(p, iso), partner: partner ?? null }).map(groupFromRow),
    );
  }

  undeliveredClaims(
    p: Period,
    route: string,
    staleBefore: Date,
    keptSince: Date,
  ): Promise<UndeliveredClaim[]> {
    return this.read(() =>
      this.all('settlement.undelivered_claims', {
        ...periodParams(p, iso),
        route,
        stale_before: iso(staleBefore),
        kept_since: iso(keptSince),
      }).map(undeliveredClaimFromRow),
    );
  }

  halfConsumedOrders(p: Period, staleBefore: Date): Promise<HalfConsumedOrder[]> {
    return this.read(() =>
      this.all('settlement.half_consumed', { ...periodParams(p, iso), stale_before: iso(staleBefore) }).map(
        halfConsumedFromRow,
      ),
    );
  }

  overdueNotifications(p: Period, overdueBefore: Date): Promise<OutboxItem[]> {
    return this.read(() =>
      this.all('settlement.overdue', { ...periodParams(p, iso), before: iso(overdueBefore) }).map(
        outboxFromRow,
      ),
    );
  }

  listAnomalies(p: Period, partner?: string): Promise<AnomalyRecord[]> {
    return this.read(() =>
      this.all('settlement.anomalies', { ...periodParams(p, iso), partner: partner ?? null }).map(
        anomalyFromRow,
      ),
    );
  }

  recordPushWithNotifications(
    k: IdemKey,
    fingerprint: string,
    items: OutboxItemInput[],
    answer: StoredAnswer,
    now = new Date(),
  ): Promise<'stored' | 'duplicate'> {
    return this.write(() => {
      const p = { ...idem(k), fingerprint, ...answerParams(answer), outcome: 'success', now: iso(now) };
      if (!this.get('idempotency.insert_finished', p)) return 'duplicate' as const;
      this.enqueueNow(items, now);
      return 'stored' as const;
    });
  }
  // ——— moving between stores ———

  private tableShapes(): Map<string, TableShape> {
    const names = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    return new Map(
      names.map((name) => {
        const cols = this.db.prepare(`PRAGMA table_info(${quote(name)})`).all() as {
          name: string;
          type: string;
          pk: number;
        }[];
        const kind = (type: string): ColumnKind =>
          /^BLOB$/i.test(type) ? 'bytes' : /^INTEGER$/i.test(type) ? 'integer' : 'other';
        const primaryKey = cols
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        return [name, { name, columns: cols.map((c) => ({ name: c.name, kind: kind(c.type) })), primaryKey }];
      }),
    );
  }

  /** Read in one read transaction (a WAL snapshot), a page at a time. */
  async *exportRows(opts: ExportOptions): AsyncIterable<TransferRecord> {
    const shapes = this.tableShapes();
    this.db.exec('BEGIN');
    try {
      for (const table of transferTables(shapes.keys(), opts.journal)) {
        const shape = shapes.get(table) as TableShape;
        const filter = EXPORT_FILTERS[table];
        const order = (shape.primaryKey.length > 0 ? shape.primaryKey : shape.columns.map((c) => c.name))
          .map(quote)
          .join(', ');
        const page = this.db.prepare(
          `SELECT * FROM ${quote(table)}${filter ? ` WHERE ${quote(filter.column)} > @now` : ''} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
        );
        for (let offset = 0; ; offset += EXPORT_PAGE) {
          const rows = page.all({
            ...(filter ? { now: iso(opts.now) } : {}),
            limit: EXPORT_PAGE,
            offset,
          }) as Row[];
          for (const row of rows) yield { table, row: encodeRow(shape, row) };
          if (rows.length < EXPORT_PAGE) break;
        }
      }
    } finally {
      this.db.exec('COMMIT');
    }
  }

  /** BEGIN IMMEDIATE around the whole stream: a concurrent writer waits, a failure rolls all back. */
  async importRows(records: AsyncIterable<TransferRecord>): Promise<Record<string, number>> {
    const shapes = this.tableShapes();
    const inserts = new Map<string, Database.Statement>();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const counts = await importInto(
        {
          shapes,
          hasRows: async (table) =>
            this.db.prepare(`SELECT 1 FROM ${quote(table)} LIMIT 1`).get() !== undefined,
          insert: async (table, columns, rows) => {
            const key = `${table}(${columns.join()})`;
            let st = inserts.get(key);
            if (!st) {
              st = this.db.prepare(
                `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
              );
              inserts.set(key, st);
            }
            for (const values of rows) st.run(values);
          },
        },
        records,
      );
      this.db.exec('COMMIT');
      return counts;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw storeFailure(e);
    }
  }
}
