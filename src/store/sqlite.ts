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
import { storeFailure } from './failures';
// Shared with the other backend, read as namespaces: decide (what rows mean, decisions.ts),
// convert (row <-> record, rows.ts), settle (settlement-rows.ts), transfer, and S (the contract's types).
import * as decide from './decisions';
import { type Row } from './rows';
import * as convert from './rows';
import * as settle from './settlement-rows';
import { applySqliteMigrations } from './migrator';
import * as transfer from './transfer';
import { loadStatements, type Statements } from './sql-files';
import type * as S from './types';

export type SqliteOptions = S.SqliteOptions;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const iso = (d: Date): string => d.toISOString();

export function openSqlite(opts: S.SqliteOptions): SqliteStore {
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

export class SqliteStore implements S.Store {
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

  idemBegin(k: S.IdemKey, fingerprint: string, now: Date): Promise<S.IdemBeginResult> {
    return this.write(() => {
      const p = { ...convert.idemParams(k), fingerprint, now: iso(now) };
      if (this.get('idempotency.insert_started', p)) return { state: 'new' as const };
      return convert.idemFromRow(this.get('idempotency.get', p) as Row);
    });
  }

  idemFinish(
    k: S.IdemKey,
    answer: S.StoredAnswer,
    outcome: S.IdemOutcome,
    now = new Date(),
  ): Promise<boolean> {
    return this.write(() => this.finishNow({ k, answer, outcome, now }));
  }

  private finishNow(f: S.IdemFinish): boolean {
    return (
      this.run('idempotency.finish', {
        ...convert.idemParams(f.k),
        ...convert.answerParams(f.answer),
        outcome: f.outcome,
        now: iso(f.now ?? new Date()),
      }) > 0
    );
  }

  idemAbandon(k: S.IdemKey): Promise<boolean> {
    return this.write(() => this.run('idempotency.abandon', convert.idemParams(k)) > 0);
  }

  idemReclaimStale(k: S.IdemKey, olderThan: Date, now = new Date()): Promise<boolean> {
    return this.write(
      () =>
        this.run('idempotency.reclaim', {
          ...convert.idemParams(k),
          older_than: iso(olderThan),
          now: iso(now),
        }) > 0,
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

  rememberNonces(entries: S.NonceEntry[], now: Date): Promise<boolean[]> {
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

  upsertStockSync(s: S.StockSync, outbox: S.OutboxItemInput[] = []): Promise<void> {
    return this.write(() => {
      this.run('stocks.upsert', convert.stockParams(s, iso));
      this.enqueueNow(outbox, s.updatedAt);
    });
  }

  getStockSync(stockId: string): Promise<S.StockSync | undefined> {
    return this.read(() => {
      const r = this.get('stocks.get', { stock_id: stockId });
      return r && convert.stockFromRow(r);
    });
  }

  // ——— coupons ———

  private record(
    ref: string,
    from: S.CouponState | null,
    to: S.CouponState | null,
    meta: S.TransitionMeta,
  ): void {
    this.run('coupons.record_transition', convert.transitionParams(ref, from, to, meta, iso));
  }

  private byId(id: string): S.CouponRecord | undefined {
    const r = this.get('coupons.by_id', { id });
    return r && convert.couponFromRow(r);
  }

  private insertCoupon(
    c: S.CouponFields,
    state: S.CouponState,
    meta: S.TransitionMeta,
  ): S.CouponRecord | undefined {
    const r = this.get('coupons.insert', { ...convert.couponParams(c), state, now: iso(meta.at) });
    if (!r) return undefined;
    this.record(c.id, null, state, meta);
    return convert.couponFromRow(r);
  }

  reserveCoupon(
    r: S.CouponReservation,
    limits: S.QuotaLimits,
    meta?: S.TransitionMeta,
  ): Promise<S.ReserveResult> {
    return this.write(() => {
      const n = this.get('coupons.quota_counts', { stock_id: r.stockId, user_code: r.userCode }) as Row;
      const quota = decide.quotaDecision(n, limits);
      if (quota !== 'within_quota') return quota;
      decide.assertReserved(
        this.insertCoupon(r, 'pending', decide.reservationMeta(r, meta, new Date())),
        r.id,
      );
      return 'reserved';
    });
  }

  activateCoupon(
    id: string,
    patch: S.CouponPatch,
    meta: S.TransitionMeta,
    finish?: S.IdemFinish,
  ): Promise<S.CouponRecord> {
    return this.write(() => {
      const from = decide.activationFrom(this.byId(id), id);
      this.get('coupons.patch', { ...convert.couponParams(patch), id, now: iso(meta.at) });
      const r = this.get('coupons.set_state', { id, from, to: 'available', now: iso(meta.at) }) as Row;
      this.record(id, from, 'available', meta);
      if (finish) this.finishNow(finish);
      return convert.couponFromRow(r);
    });
  }

  releaseCoupon(id: string, meta: S.TransitionMeta): Promise<void> {
    return this.write(() => {
      const from = decide.releaseFrom(this.byId(id), id);
      this.run('coupons.delete_pending', { id });
      this.record(id, from, null, meta);
    });
  }

  upsertCoupon(
    c: S.CouponFields & { state: Exclude<S.CouponState, 'pending'> },
    meta: S.TransitionMeta,
  ): Promise<{ created: boolean; coupon: S.CouponRecord }> {
    return this.write(() => {
      decide.assertSyncedState(c.state);
      const created = this.insertCoupon(c, c.state, meta);
      if (created) return { created: true, coupon: created };
      const r = this.get('coupons.patch', { ...convert.couponParams(c), now: iso(meta.at) }) as Row;
      return { created: false, coupon: convert.couponFromRow(r) };
    });
  }

  getCoupon(q: S.CouponQuery): Promise<S.CouponRecord | undefined> {
    return this.read(() => {
      const lookup = decide.couponLookup(q);
      const r = lookup && this.get(lookup.statement, lookup.params);
      return r && convert.couponFromRow(r);
    });
  }

  transition(
    ids: string[],
    to: S.CouponState,
    meta: S.TransitionMeta,
    outbox: S.OutboxItemInput[] = [],
  ): Promise<S.TransitionResult> {
    return this.write((): S.TransitionResult => {
      const unique = decide.transitionIds(ids);
      const current = unique.map((id) => this.byId(id));
      const { illegal, missing } = decide.planTransition(unique, current, to);
      if (illegal.length > 0 || missing.length > 0) return { applied: false, illegal, missing };
      const coupons = (current as S.CouponRecord[]).map((c) => {
        const r = this.get('coupons.set_state', { id: c.id, from: c.state, to, now: iso(meta.at) }) as Row;
        this.record(c.id, c.state, to, meta);
        return convert.couponFromRow(r);
      });
      this.enqueueNow(outbox, meta.at);
      return { applied: true, coupons };
    });
  }

  history(id: string): Promise<S.Transition[]> {
    return this.read(() => this.all('coupons.history', { coupon_ref: id }).map(convert.transitionFromRow));
  }

  stockCounts(stockId: string): Promise<S.StockCounts> {
    return this.read(() => convert.countsFromRows(this.all('coupons.count_by_state', { stock_id: stockId })));
  }

  listCoupons(opts: S.ListCouponsOptions = {}): Promise<S.CouponRecord[]> {
    return this.read(() =>
      this.all('coupons.list', {
        state: opts.state ?? null,
        stock_id: opts.stockId ?? null,
        limit: opts.limit ?? -1,
        offset: opts.offset ?? 0,
      }).map(convert.couponFromRow),
    );
  }

  // ——— orders ———

  getOrder(partner: string, orderId: string): Promise<S.OrderRecord | undefined> {
    return this.read(() => {
      const r = this.get('orders.get', { partner, order_id: orderId });
      return r && convert.orderFromRow(r);
    });
  }

  putOrder(o: S.OrderRecord, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    return this.write(
      () => this.run(opts.ifAbsent ? 'orders.insert' : 'orders.upsert', convert.orderParams(o, iso)) > 0,
    );
  }

  // ——— journal ———

  private withKeys(r: Row): S.ExchangeRecord {
    const keys = this.all('journal.keys_of', { id: r.id }).map((k) => String(k.business_key));
    return convert.exchangeFromRow(r, keys);
  }

  appendExchange(e: S.ExchangeRecord): Promise<void> {
    return this.appendExchanges([e]);
  }

  appendExchanges(list: S.ExchangeRecord[]): Promise<void> {
    return this.write(() => {
      for (const e of list) {
        this.run('journal.insert', convert.exchangeParams(e, iso));
        for (const key of new Set(e.businessKeys)) this.run('journal.insert_key', { key, id: e.id });
        for (const a of settle.anomalyParams(e, iso)) this.run('settlement.insert_anomaly', a);
      }
    });
  }

  getExchange(id: string): Promise<S.ExchangeRecord | undefined> {
    return this.read(() => {
      const r = this.get('journal.get', { id });
      return r && this.withKeys(r);
    });
  }

  findExchanges(businessKey: string): Promise<S.ExchangeRecord[]> {
    return this.read(() => this.all('journal.find', { key: businessKey }).map((r) => this.withKeys(r)));
  }

  listExchanges(opts: S.ListExchangesOptions = {}): Promise<S.ExchangeRecord[]> {
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

  private enqueueNow(items: S.OutboxItemInput[], now: Date): number {
    let added = 0;
    for (const item of items) {
      const p = convert.outboxParams(item, now, iso);
      if (this.get('outbox.insert', p)) added += 1;
      else decide.assertSameOutboxItem(this.get('outbox.by_dedup', p) as Row, p);
    }
    return added;
  }

  enqueue(items: S.OutboxItemInput[], now = new Date()): Promise<number> {
    return this.write(() => this.enqueueNow(items, now));
  }

  claimDue(o: S.ClaimOptions): Promise<S.OutboxItem[]> {
    return this.write(() =>
      decide.claimOrder(this.all('outbox.claim', convert.claimParams(o, iso)).map(convert.outboxFromRow)),
    );
  }

  markDelivered(id: string, answerSummary: string, now = new Date()): Promise<boolean> {
    const key = convert.outboxIdParam(id);
    if (key === undefined) return Promise.resolve(false);
    return this.write(
      () => this.run('outbox.delivered', { id: key, summary: answerSummary, now: iso(now) }) > 0,
    );
  }

  markFailed(
    id: string,
    error: string,
    nextAttemptAt: Date | null,
    opts: { workerId?: string; now?: Date } = {},
  ): Promise<boolean> {
    const key = convert.outboxIdParam(id);
    if (key === undefined) return Promise.resolve(false);
    return this.write(
      () =>
        this.run('outbox.failed', {
          id: key,
          error,
          next_attempt_at: nextAttemptAt && iso(nextAttemptAt),
          worker: opts.workerId ?? null,
          now: iso(opts.now ?? new Date()),
        }) > 0,
    );
  }

  getOutbox(id: string): Promise<S.OutboxItem | undefined> {
    const key = convert.outboxIdParam(id);
    if (key === undefined) return Promise.resolve(undefined);
    return this.read(() => {
      const r = this.get('outbox.get', { id: key });
      return r && convert.outboxFromRow(r);
    });
  }

  listOutbox(opts: S.ListOutboxOptions = {}): Promise<S.OutboxItem[]> {
    return this.read(() =>
      this.all('outbox.list', {
        state: opts.state ?? null,
        destination: opts.destination ?? null,
        limit: opts.limit ?? -1,
        offset: opts.offset ?? 0,
      }).map(convert.outboxFromRow),
    );
  }

  replay(target: string, now = new Date()): Promise<number> {
    const lookup = decide.replayLookup(target);
    if (!lookup) return Promise.resolve(0);
    return this.write(() => this.run(lookup.statement, { ...lookup.params, now: iso(now) }));
  }

  purgeDelivered(olderThan: Date): Promise<number> {
    return this.write(() => this.run('outbox.purge_delivered', { before: iso(olderThan) }));
  }

  // ——— settlement ———

  settlementGroups(p: S.Period, partner?: string): Promise<S.SettlementGroup[]> {
    return this.read(() =>
      this.all('settlement.groups', { ...settle.periodParams(p, iso), partner: partner ?? null }).map(
        settle.groupFromRow,
      ),
    );
  }

  undeliveredClaims(
    p: S.Period,
    route: string,
    staleBefore: Date,
    keptSince: Date,
  ): Promise<S.UndeliveredClaim[]> {
    return this.read(() =>
      this.all('settlement.undelivered_claims', {
        ...settle.periodParams(p, iso),
        route,
        stale_before: iso(staleBefore),
        kept_since: iso(keptSince),
      }).map(settle.undeliveredClaimFromRow),
    );
  }

  halfConsumedOrders(p: S.Period, staleBefore: Date): Promise<S.HalfConsumedOrder[]> {
    return this.read(() =>
      this.all('settlement.half_consumed', {
        ...settle.periodParams(p, iso),
        stale_before: iso(staleBefore),
      }).map(settle.halfConsumedFromRow),
    );
  }

  overdueNotifications(p: S.Period, overdueBefore: Date): Promise<S.OutboxItem[]> {
    return this.read(() =>
      this.all('settlement.overdue', { ...settle.periodParams(p, iso), before: iso(overdueBefore) }).map(
        convert.outboxFromRow,
      ),
    );
  }

  listAnomalies(p: S.Period, partner?: string): Promise<S.AnomalyRecord[]> {
    return this.read(() =>
      this.all('settlement.anomalies', { ...settle.periodParams(p, iso), partner: partner ?? null }).map(
        settle.anomalyFromRow,
      ),
    );
  }

  recordPushWithNotifications(
    k: S.IdemKey,
    fingerprint: string,
    items: S.OutboxItemInput[],
    answer: S.StoredAnswer,
    now = new Date(),
  ): Promise<'stored' | 'duplicate'> {
    return this.write(() => {
      const p = {
        ...convert.idemParams(k),
        fingerprint,
        ...convert.answerParams(answer),
        outcome: 'success',
        now: iso(now),
      };
      if (!this.get('idempotency.insert_finished', p)) return 'duplicate' as const;
      this.enqueueNow(items, now);
      return 'stored' as const;
    });
  }
  // ——— moving between stores ———

  private tableShapes(): Map<string, transfer.TableShape> {
    const names = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    return new Map(
      names.map((name) => {
        const cols = this.db.prepare(`PRAGMA table_info(${transfer.quoteIdent(name)})`).all() as {
          name: string;
          type: string;
          pk: number;
        }[];
        const kind = (type: string): transfer.ColumnKind =>
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
  async *exportRows(opts: S.ExportOptions): AsyncIterable<S.TransferRecord> {
    const shapes = this.tableShapes();
    this.db.exec('BEGIN');
    try {
      for (const table of transfer.transferTables(shapes.keys(), opts.journal)) {
        const shape = shapes.get(table) as transfer.TableShape;
        const filter = transfer.EXPORT_FILTERS[table];
        const order = transfer.exportOrderKeys(shape).map(transfer.quoteIdent).join(', ');
        const page = this.db.prepare(
          `SELECT * FROM ${transfer.quoteIdent(table)}${filter ? ` WHERE ${transfer.quoteIdent(filter.column)} > @now` : ''} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
        );
        for (let offset = 0; ; offset += transfer.EXPORT_PAGE) {
          const rows = page.all({
            ...(filter ? { now: iso(opts.now) } : {}),
            limit: transfer.EXPORT_PAGE,
            offset,
          }) as Row[];
          for (const row of rows) yield { table, row: transfer.encodeRow(shape, row) };
          if (rows.length < transfer.EXPORT_PAGE) break;
        }
      }
    } finally {
      this.db.exec('COMMIT');
    }
  }

  /** BEGIN IMMEDIATE around the whole stream: a concurrent writer waits, a failure rolls all back. */
  async importRows(records: AsyncIterable<S.TransferRecord>): Promise<Record<string, number>> {
    const shapes = this.tableShapes();
    const inserts = new Map<string, Database.Statement>();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const counts = await transfer.importInto(
        {
          shapes,
          hasRows: async (table) =>
            this.db.prepare(`SELECT 1 FROM ${transfer.quoteIdent(table)} LIMIT 1`).get() !== undefined,
          insert: async (table, columns, rows) => {
            const key = `${table}(${columns.join()})`;
            let st = inserts.get(key);
            if (!st) {
              st = this.db.prepare(
                `INSERT INTO ${transfer.quoteIdent(table)} (${columns.map(transfer.quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
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
