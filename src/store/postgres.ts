/**
 * The shared store: PostgreSQL through a `pg` Pool, for any number of instances on one database.
 *
 * - Idempotency and nonces: unique keys with `INSERT … ON CONFLICT DO NOTHING/UPDATE … RETURNING`.
 * - Quota: a transaction-level advisory lock per stock serialises reservations across processes.
 * - Transitions: `SELECT … FOR UPDATE` on the coupons (in id order) before the state check.
 * - Outbox: claims serialised by an advisory lock and taken with `FOR UPDATE SKIP LOCKED`.
 * - `?schema=NAME` in the URL: the schema is created and every connection's search_path set to it
 *   (a startup option, so no connection ever runs without it). Tests isolate themselves this way.
 * - json columns come back as text (the pool's type parser), so payloads round-trip exactly.
 * - Statements are the named artefacts of sql/postgres/, prepared once per connection.
 * - Round trips (issue 18): `pg` sends one query at a time and waits for its answer, so each
 *   statement costs a round trip. Batches are one statement each (a nonce group commit,
 *   nonces.remember_many; a journal batch, journal.insert_many: arrays unnested), and a claim's
 *   grant with its history line and idempotency answer is one statement (coupons.activate). The
 *   other writes keep BEGIN … COMMIT around a locking read whose rows the decisions judge.
 * - Every wait is bounded, so a lost database costs a caller seconds, never a hang: a connection
 *   (or a free pooled one) within `connect_timeout` (URL, seconds; default 3), each query within
 *   `query_timeout` (URL, ms; default 4000; client side, so a silent network is noticed too).
 *   Migrations run on a connection of their own without the query timeout.
 * - Every connection has an 'error' listener for its whole life (pg emits 'error' on a client
 *   whose server goes away, also while it is checked out between two queries; unheard, that event
 *   ends the process). A broken connection is destroyed, never pooled again; the pool opens new
 *   ones on demand, so the store recovers by itself once the server is back.
 */
import { Client, Pool, types, type ClientBase, type PoolClient, type PoolConfig, type QueryResult } from 'pg';
import { CbError } from '../errors';
import { isConnectionLost, storeFailure, StoreUnavailableError } from './failures';
// Shared with the other backend, read as namespaces: decide (what rows mean, decisions.ts),
// convert (row <-> record, rows.ts), settle (settlement-rows.ts), transfer, and S (the contract's types).
import * as decide from './decisions';
import { type Row } from './rows';
import * as convert from './rows';
import * as settle from './settlement-rows';
import * as transfer from './transfer';
import { appliedRow, describeMigrations, type AppliedRow, type Migrator } from './migrator';
import {
  checkApplied,
  loadMigrations,
  loadStatements,
  toPositional,
  type Migration,
  type Statements,
} from './sql-files';
import type * as S from './types';

export interface PostgresOptions {
  /** Errors of pooled connections (e.g. a server restart); the query running on one reports it too. */
  onError?: (e: Error) => void;
  /** Pool size per instance (default 10). */
  maxConnections?: number;
}

const DEFAULT_CONNECT_TIMEOUT_S = 3;
const DEFAULT_QUERY_TIMEOUT_MS = 4000;

type Queryable = Pool | PoolClient;

const JSON_OID = 114;
const keepJsonText: PoolConfig['types'] = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === JSON_OID
      ? (v: string) => v
      : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
};

const asIs = (d: Date): Date => d;

function positiveParam(u: URL, name: string, fallback: number): number {
  const raw = u.searchParams.get(name);
  u.searchParams.delete(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) === 0) {
    throw new Error(`store: ${name} must be a positive integer, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/**
 * Splits couponbridge's own parameters off the URL — `schema`, `connect_timeout` (seconds) and
 * `query_timeout` (ms) — the rest goes to pg unchanged.
 */
export function parsePostgresUrl(url: string): {
  connectionString: string;
  schema?: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
} {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`store: schema name ${JSON.stringify(schema)} must be a lower-case identifier`);
  }
  const connectTimeoutMs = positiveParam(u, 'connect_timeout', DEFAULT_CONNECT_TIMEOUT_S) * 1000;
  const queryTimeoutMs = positiveParam(u, 'query_timeout', DEFAULT_QUERY_TIMEOUT_MS);
  return { connectionString: u.toString(), schema, connectTimeoutMs, queryTimeoutMs };
}

function newPool(config: PoolConfig, onError?: (e: Error) => void): Pool {
  const pool = new Pool(config);
  const report = (e: Error) => onError?.(e);
  pool.on('error', report);
  pool.on('connect', (c) => c.on('error', report));
  return pool;
}

export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<PostgresStore> {
  const { connectionString, schema, connectTimeoutMs, queryTimeoutMs } = parsePostgresUrl(url);
  const base: PoolConfig = {
    connectionString,
    options: schema ? `-c search_path=${schema}` : undefined,
    types: keepJsonText,
    connectionTimeoutMillis: connectTimeoutMs,
    // TCP keepalive probes after 10 s idle: an idle pooled connection to a vanished server is
    // found dead by the OS instead of by the next query.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  const sql = loadStatements('postgres');
  // A migration may legitimately run long: it gets a connection without the query timeout.
  const migrator = newPool({ ...base, max: 1 }, opts.onError);
  try {
    await new PostgresStore(migrator, sql).migrate(schema);
  } catch (e) {
    throw storeFailure(e);
  } finally {
    await migrator.end();
  }
  const pool = newPool(
    { ...base, max: opts.maxConnections ?? 10, query_timeout: queryTimeoutMs },
    opts.onError,
  );
  return new PostgresStore(pool, sql);
}

export class PostgresStore implements S.Store {
  readonly backend = 'postgres' as const;
  private readonly st: Record<string, { text: string; names: string[] }>;

  constructor(
    /** Shared with the PostgreSQL rate limiter (src/rate-limit.ts). */
    readonly pool: Pool,
    sql: Statements,
  ) {
    this.st = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, toPositional(text)]));
  }

  /**
   * pg-pool reports a wait for a free pooled connection with the same "timeout exceeded when
   * trying to connect" as a server that does not answer: with every connection checked out, it is
   * contention (503 for this call), not a lost database (which would open the store guard).
   */
  private failure(e: unknown): unknown {
    const f = storeFailure(e);
    const max = this.pool.options.max;
    if (
      isConnectionLost(f) &&
      /trying to connect/.test((f as Error).message) &&
      this.pool.totalCount >= max
    ) {
      return new StoreUnavailableError(`all ${max} connections are busy: ${(f as Error).message}`, false);
    }
    return f;
  }

  private async exec(db: Queryable, name: string, params: Row): Promise<QueryResult> {
    const { text, names } = this.st[name];
    const missing = names.filter((n) => !(n in params));
    if (missing.length > 0) throw new Error(`store: ${name} is missing parameter(s) ${missing.join(', ')}`);
    try {
      return await db.query({ name: `cb.${name}`, text, values: names.map((n) => params[n] ?? null) });
    } catch (e) {
      throw this.failure(e);
    }
  }

  private async all(db: Queryable, name: string, params: Row = {}): Promise<Row[]> {
    return (await this.exec(db, name, params)).rows as Row[];
  }

  private async get(db: Queryable, name: string, params: Row = {}): Promise<Row | undefined> {
    return (await this.all(db, name, params))[0];
  }

  private async run(db: Queryable, name: string, params: Row = {}): Promise<number> {
    return (await this.exec(db, name, params)).rowCount ?? 0;
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let c: PoolClient;
    try {
      c = await this.pool.connect();
    } catch (e) {
      throw this.failure(e);
    }
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      c.release();
      return result;
    } catch (e) {
      const failure = storeFailure(e);
      // A lost connection is destroyed without waiting on a ROLLBACK (the server rolls back an
      // aborted session); one that cannot even roll back is broken too. Neither is pooled again.
      const rolledBack =
        !isConnectionLost(failure) &&
        (await c.query('ROLLBACK').then(
          () => true,
          () => false,
        ));
      c.release(!rolledBack);
      throw failure;
    }
  }

  /** Applies pending migrations in one transaction (PostgreSQL DDL is transactional). */
  async migrate(schema: string | undefined): Promise<void> {
    await this.tx((c) => applyPostgresMigrations(c, schema));
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async ping(): Promise<void> {
    await this.get(this.pool, 'meta.version');
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.get(this.pool, 'meta.version'))?.version);
  }

  // ——— idempotency ———

  async idemBegin(k: S.IdemKey, fingerprint: string, now: Date): Promise<S.IdemBeginResult> {
    const p = { ...convert.idemParams(k), fingerprint, now };
    // The insert waits for a concurrent inserter of the same key to commit or roll back; the read
    // after it can still miss when the holder abandoned in between, hence a second round.
    for (let round = 0; round < 3; round += 1) {
      if (await this.get(this.pool, 'idempotency.insert_started', p)) return { state: 'new' };
      const row = await this.get(this.pool, 'idempotency.get', p);
      if (row) return convert.idemFromRow(row);
    }
    throw new CbError('CB_STORE_UNAVAILABLE', `idempotency record ${k.route}/${k.key} keeps changing`);
  }

  idemFinish(
    k: S.IdemKey,
    answer: S.StoredAnswer,
    outcome: S.IdemOutcome,
    now = new Date(),
  ): Promise<boolean> {
    return this.finishOn(this.pool, { k, answer, outcome, now });
  }

  private async finishOn(db: Queryable, f: S.IdemFinish): Promise<boolean> {
    return (
      (await this.run(db, 'idempotency.finish', {
        ...convert.idemParams(f.k),
        ...convert.answerParams(f.answer),
        outcome: f.outcome,
        now: f.now ?? new Date(),
      })) > 0
    );
  }

  async idemAbandon(k: S.IdemKey): Promise<boolean> {
    return (await this.run(this.pool, 'idempotency.abandon', convert.idemParams(k))) > 0;
  }

  async idemReclaimStale(k: S.IdemKey, olderThan: Date, now = new Date()): Promise<boolean> {
    return (
      (await this.run(this.pool, 'idempotency.reclaim', {
        ...convert.idemParams(k),
        older_than: olderThan,
        now,
      })) > 0
    );
  }

  purgeIdempotency(before: Date): Promise<number> {
    return this.run(this.pool, 'idempotency.purge', { before });
  }

  // ——— nonces ———

  async rememberNonce(scope: string, nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
    return (
      (await this.get(this.pool, 'nonces.remember', { scope, nonce, expires_at: expiresAt, now })) !==
      undefined
    );
  }

  /** One statement for the batch (one round trip, atomic); a repeat inside the batch is refused. */
  async rememberNonces(entries: S.NonceEntry[], now: Date): Promise<boolean[]> {
    const key = (scope: unknown, nonce: unknown) => `${String(scope)}\u0000${String(nonce)}`;
    const first = new Map<string, S.NonceEntry>();
    for (const e of entries) if (!first.has(key(e.scope, e.nonce))) first.set(key(e.scope, e.nonce), e);
    const batch = [...first.values()];
    const rows = await this.all(this.pool, 'nonces.remember_many', {
      scopes: batch.map((e) => e.scope),
      nonces: batch.map((e) => e.nonce),
      expires_at: batch.map((e) => e.expiresAt),
      now,
    });
    const remembered = new Set(rows.map((r) => key(r.scope, r.nonce)));
    return entries.map(
      (e) => first.get(key(e.scope, e.nonce)) === e && remembered.has(key(e.scope, e.nonce)),
    );
  }

  purgeNonces(now: Date): Promise<number> {
    return this.run(this.pool, 'nonces.purge', { now });
  }

  // ——— stocks ———

  async upsertStockSync(s: S.StockSync, outbox: S.OutboxItemInput[] = []): Promise<void> {
    await this.tx(async (c) => {
      await this.run(c, 'stocks.upsert', convert.stockParams(s, asIs));
      await this.enqueueIn(c, outbox, s.updatedAt);
    });
  }

  async getStockSync(stockId: string): Promise<S.StockSync | undefined> {
    const r = await this.get(this.pool, 'stocks.get', { stock_id: stockId });
    return r && convert.stockFromRow(r);
  }

  // ——— coupons ———

  private async record(
    c: PoolClient,
    ref: string,
    from: S.CouponState | null,
    to: S.CouponState | null,
    meta: S.TransitionMeta,
  ): Promise<void> {
    await this.run(c, 'coupons.record_transition', convert.transitionParams(ref, from, to, meta, asIs));
  }

  /** Reads and row-locks the coupons, in the order of `ids`. */
  private async lock(c: PoolClient, ids: string[]): Promise<(S.CouponRecord | undefined)[]> {
    const rows = (await this.all(c, 'coupons.lock_many', { ids })).map(convert.couponFromRow);
    return ids.map((id) => rows.find((r) => r.id === id));
  }

  private async insertCoupon(
    c: PoolClient,
    f: S.CouponFields,
    state: S.CouponState,
    meta: S.TransitionMeta,
  ): Promise<S.CouponRecord | undefined> {
    const r = await this.get(c, 'coupons.insert', { ...convert.couponParams(f), state, now: meta.at });
    if (!r) return undefined;
    await this.record(c, f.id, null, state, meta);
    return convert.couponFromRow(r);
  }

  reserveCoupon(
    r: S.CouponReservation,
    limits: S.QuotaLimits,
    meta?: S.TransitionMeta,
  ): Promise<S.ReserveResult> {
    return this.tx(async (c) => {
      await this.run(c, 'coupons.lock_stock', { stock_id: r.stockId });
      const n = (await this.get(c, 'coupons.quota_counts', {
        stock_id: r.stockId,
        user_code: r.userCode,
      })) as Row;
      const quota = decide.quotaDecision(n, limits);
      if (quota !== 'within_quota') return quota;
      decide.assertReserved(
        await this.insertCoupon(c, r, 'pending', decide.reservationMeta(r, meta, new Date())),
        r.id,
      );
      return 'reserved';
    });
  }

  /**
   * The grant in one statement (coupons.activate, one round trip); a coupon that is not pending
   * takes the locking path, which throws CB_COUPON_NOT_FOUND or CB_ILLEGAL_TRANSITION (or, had it
   * turned pending again meanwhile, activates it).
   */
  async activateCoupon(
    id: string,
    patch: S.CouponPatch,
    meta: S.TransitionMeta,
    finish?: S.IdemFinish,
  ): Promise<S.CouponRecord> {
    const noFinish = { partner: null, route: null, key: null, status: null, content_type: null, body: null };
    const r = await this.get(this.pool, 'coupons.activate', {
      ...convert.couponParams(patch),
      ...convert.transitionParams(id, 'pending', 'available', meta, asIs),
      ...(finish ? { ...convert.idemParams(finish.k), ...convert.answerParams(finish.answer) } : noFinish),
      id,
      outcome: finish?.outcome ?? null,
      finished_at: finish?.now ?? new Date(),
    });
    if (r) return convert.couponFromRow(r);
    return this.tx(async (c) => {
      const from = decide.activationFrom((await this.lock(c, [id]))[0], id);
      await this.run(c, 'coupons.patch', { ...convert.couponParams(patch), id, now: meta.at });
      const row = (await this.get(c, 'coupons.set_state', {
        id,
        from,
        to: 'available',
        now: meta.at,
      })) as Row;
      await this.record(c, id, from, 'available', meta);
      if (finish) await this.finishOn(c, finish);
      return convert.couponFromRow(row);
    });
  }

  async releaseCoupon(id: string, meta: S.TransitionMeta): Promise<void> {
    await this.tx(async (c) => {
      const from = decide.releaseFrom((await this.lock(c, [id]))[0], id);
      await this.run(c, 'coupons.delete_pending', { id });
      await this.record(c, id, from, null, meta);
    });
  }

  upsertCoupon(
    f: S.CouponFields & { state: Exclude<S.CouponState, 'pending'> },
    meta: S.TransitionMeta,
  ): Promise<{ created: boolean; coupon: S.CouponRecord }> {
    return this.tx(async (c) => {
      decide.assertSyncedState(f.state);
      const created = await this.insertCoupon(c, f, f.state, meta);
      if (created) return { created: true, coupon: created };
      const r = (await this.get(c, 'coupons.patch', { ...convert.couponParams(f), now: meta.at })) as Row;
      return { created: false, coupon: convert.couponFromRow(r) };
    });
  }

  async getCoupon(q: S.CouponQuery): Promise<S.CouponRecord | undefined> {
    const lookup = decide.couponLookup(q);
    const r = lookup && (await this.get(this.pool, lookup.statement, lookup.params));
    return r && convert.couponFromRow(r);
  }

  transition(
    ids: string[],
    to: S.CouponState,
    meta: S.TransitionMeta,
    outbox: S.OutboxItemInput[] = [],
  ): Promise<S.TransitionResult> {
    return this.tx(async (c): Promise<S.TransitionResult> => {
      const unique = decide.transitionIds(ids);
      const current = await this.lock(c, unique);
      const { illegal, missing } = decide.planTransition(unique, current, to);
      if (illegal.length > 0 || missing.length > 0) return { applied: false, illegal, missing };
      const coupons: S.CouponRecord[] = [];
      for (const cur of current as S.CouponRecord[]) {
        const r = (await this.get(c, 'coupons.set_state', {
          id: cur.id,
          from: cur.state,
          to,
          now: meta.at,
        })) as Row;
        await this.record(c, cur.id, cur.state, to, meta);
        coupons.push(convert.couponFromRow(r));
      }
      await this.enqueueIn(c, outbox, meta.at);
      return { applied: true, coupons };
    });
  }

  async history(id: string): Promise<S.Transition[]> {
    return (await this.all(this.pool, 'coupons.history', { coupon_ref: id })).map(convert.transitionFromRow);
  }

  async stockCounts(stockId: string): Promise<S.StockCounts> {
    return convert.countsFromRows(await this.all(this.pool, 'coupons.count_by_state', { stock_id: stockId }));
  }

  async listCoupons(opts: S.ListCouponsOptions = {}): Promise<S.CouponRecord[]> {
    const rows = await this.all(this.pool, 'coupons.list', {
      state: opts.state ?? null,
      stock_id: opts.stockId ?? null,
      limit: opts.limit ?? null,
      offset: opts.offset ?? 0,
    });
    return rows.map(convert.couponFromRow);
  }

  // ——— orders ———

  async getOrder(partner: string, orderId: string): Promise<S.OrderRecord | undefined> {
    const r = await this.get(this.pool, 'orders.get', { partner, order_id: orderId });
    return r && convert.orderFromRow(r);
  }

  async putOrder(o: S.OrderRecord, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    return (
      (await this.run(
        this.pool,
        opts.ifAbsent ? 'orders.insert' : 'orders.upsert',
        convert.orderParams(o, asIs),
      )) > 0
    );
  }

  // ——— journal ———

  private async withKeys(db: Queryable, r: Row): Promise<S.ExchangeRecord> {
    const keys = (await this.all(db, 'journal.keys_of', { id: r.id })).map((k) => String(k.business_key));
    return convert.exchangeFromRow(r, keys);
  }

  appendExchange(e: S.ExchangeRecord): Promise<void> {
    return this.appendExchanges([e]);
  }

  /** One statement for the batch (journal.insert_many): one round trip, all or nothing. */
  async appendExchanges(list: S.ExchangeRecord[]): Promise<void> {
    const rows = list.map((e) => convert.exchangeParams(e, asIs));
    const keys = list.flatMap((e) => [...new Set(e.businessKeys)].map((key) => ({ key, id: e.id })));
    const anomalies = list.flatMap((e) => settle.anomalyParams(e, asIs));
    const column = (of: Row[], name: string) => of.map((r) => r[name]);
    await this.run(this.pool, 'journal.insert_many', {
      ids: column(rows, 'id'),
      ats: column(rows, 'at'),
      routes: column(rows, 'route'),
      partners: column(rows, 'partner'),
      outcomes: column(rows, 'outcome'),
      durations_ms: column(rows, 'duration_ms'),
      datas: column(rows, 'data'),
      keys: column(keys, 'key'),
      key_ids: column(keys, 'id'),
      a_ids: column(anomalies, 'exchange_id'),
      a_ats: column(anomalies, 'at'),
      a_routes: column(anomalies, 'route'),
      a_partners: column(anomalies, 'partner'),
      a_kinds: column(anomalies, 'kind'),
      a_refs: column(anomalies, 'ref'),
      a_codes: column(anomalies, 'code'),
      a_details: column(anomalies, 'detail'),
    });
  }

  async getExchange(id: string): Promise<S.ExchangeRecord | undefined> {
    const r = await this.get(this.pool, 'journal.get', { id });
    return r && this.withKeys(this.pool, r);
  }

  async findExchanges(businessKey: string): Promise<S.ExchangeRecord[]> {
    const rows = await this.all(this.pool, 'journal.find', { key: businessKey });
    return Promise.all(rows.map((r) => this.withKeys(this.pool, r)));
  }

  async listExchanges(opts: S.ListExchangesOptions = {}): Promise<S.ExchangeRecord[]> {
    const rows = await this.all(this.pool, 'journal.list', {
      limit: opts.limit ?? null,
      offset: opts.offset ?? 0,
    });
    return Promise.all(rows.map((r) => this.withKeys(this.pool, r)));
  }

  pruneJournal(maxAgeMs: number, maxRows: number, now: Date): Promise<number> {
    return this.tx(
      async (c) =>
        (await this.run(c, 'journal.prune_age', { before: new Date(now.getTime() - maxAgeMs) })) +
        (await this.run(c, 'journal.prune_count', { keep: maxRows })),
    );
  }

  // ——— outbox ———

  private async enqueueIn(c: PoolClient, items: S.OutboxItemInput[], now: Date): Promise<number> {
    let added = 0;
    for (const item of items) {
      const p = convert.outboxParams(item, now, asIs);
      if (await this.get(c, 'outbox.insert', p)) added += 1;
      else decide.assertSameOutboxItem((await this.get(c, 'outbox.by_dedup', p)) as Row, p);
    }
    return added;
  }

  enqueue(items: S.OutboxItemInput[], now = new Date()): Promise<number> {
    return this.tx((c) => this.enqueueIn(c, items, now));
  }

  claimDue(o: S.ClaimOptions): Promise<S.OutboxItem[]> {
    return this.tx(async (c) => {
      await this.run(c, 'outbox.lock_claims');
      return decide.claimOrder(
        (await this.all(c, 'outbox.claim', convert.claimParams(o, asIs))).map(convert.outboxFromRow),
      );
    });
  }

  async markDelivered(id: string, answerSummary: string, now = new Date()): Promise<boolean> {
    const key = convert.outboxIdParam(id);
    if (key === undefined) return false;
    return (await this.run(this.pool, 'outbox.delivered', { id: key, summary: answerSummary, now })) > 0;
  }

  async markFailed(
    id: string,
    error: string,
    nextAttemptAt: Date | null,
    opts: { workerId?: string; now?: Date } = {},
  ): Promise<boolean> {
    const key = convert.outboxIdParam(id);
    if (key === undefined) return false;
    const p = {
      id: key,
      error,
      next_attempt_at: nextAttemptAt,
      worker: opts.workerId ?? null,
      now: opts.now ?? new Date(),
    };
    return (await this.run(this.pool, 'outbox.failed', p)) > 0;
  }

  async getOutbox(id: string): Promise<S.OutboxItem | undefined> {
    const key = convert.outboxIdParam(id);
    if (key === undefined) return undefined;
    const r = await this.get(this.pool, 'outbox.get', { id: key });
    return r && convert.outboxFromRow(r);
  }

  async listOutbox(opts: S.ListOutboxOptions = {}): Promise<S.OutboxItem[]> {
    const rows = await this.all(this.pool, 'outbox.list', {
      state: opts.state ?? null,
      destination: opts.destination ?? null,
      limit: opts.limit ?? null,
      offset: opts.offset ?? 0,
    });
    return rows.map(convert.outboxFromRow);
  }

  async replay(target: string, now = new Date()): Promise<number> {
    const lookup = decide.replayLookup(target);
    return lookup ? this.run(this.pool, lookup.statement, { ...lookup.params, now }) : 0;
  }

  purgeDelivered(olderThan: Date): Promise<number> {
    return this.run(this.pool, 'outbox.purge_delivered', { before: olderThan });
  }

  // ——— settlement ———

  async settlementGroups(p: S.Period, partner?: string): Promise<S.SettlementGroup[]> {
    const rows = await this.all(this.pool, 'settlement.groups', {
      ...settle.periodParams(p, asIs),
      partner: partner ?? null,
    });
    return rows.map(settle.groupFromRow);
  }

  async undeliveredClaims(
    p: S.Period,
    route: string,
    staleBefore: Date,
    keptSince: Date,
  ): Promise<S.UndeliveredClaim[]> {
    const rows = await this.all(this.pool, 'settlement.undelivered_claims', {
      ...settle.periodParams(p, asIs),
      route,
      stale_before: staleBefore,
      kept_since: keptSince,
    });
    return rows.map(settle.undeliveredClaimFromRow);
  }

  async halfConsumedOrders(p: S.Period, staleBefore: Date): Promise<S.HalfConsumedOrder[]> {
    const rows = await this.all(this.pool, 'settlement.half_consumed', {
      ...settle.periodParams(p, asIs),
      stale_before: staleBefore,
    });
    return rows.map(settle.halfConsumedFromRow);
  }

  async overdueNotifications(p: S.Period, overdueBefore: Date): Promise<S.OutboxItem[]> {
    const rows = await this.all(this.pool, 'settlement.overdue', {
      ...settle.periodParams(p, asIs),
      before: overdueBefore,
    });
    return rows.map(convert.outboxFromRow);
  }

  async listAnomalies(p: S.Period, partner?: string): Promise<S.AnomalyRecord[]> {
    const rows = await this.all(this.pool, 'settlement.anomalies', {
      ...settle.periodParams(p, asIs),
      partner: partner ?? null,
    });
    return rows.map(settle.anomalyFromRow);
  }

  recordPushWithNotifications(
    k: S.IdemKey,
    fingerprint: string,
    items: S.OutboxItemInput[],
    answer: S.StoredAnswer,
    now = new Date(),
  ): Promise<'stored' | 'duplicate'> {
    return this.tx(async (c) => {
      const p = {
        ...convert.idemParams(k),
        fingerprint,
        ...convert.answerParams(answer),
        outcome: 'success',
        now,
      };
      if (!(await this.get(c, 'idempotency.insert_finished', p))) return 'duplicate' as const;
      await this.enqueueIn(c, items, now);
      return 'stored' as const;
    });
  }
  // ——— moving between stores ———

  private async tableShapes(c: PoolClient): Promise<Map<string, transfer.TableShape>> {
    const cols = await c.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT c.table_name, c.column_name, c.data_type
         FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name, c.ordinal_position`,
    );
    const keys = await c.query<{ table_name: string; column_name: string }>(
      `SELECT k.table_name, k.column_name
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
        WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
        ORDER BY k.table_name, k.ordinal_position`,
    );
    const kind = (type: string): transfer.ColumnKind =>
      type === 'bytea'
        ? 'bytes'
        : /^(smallint|integer|bigint)$/.test(type)
          ? 'integer'
          : type.startsWith('timestamp')
            ? 'time'
            : 'other';
    const shapes = new Map<string, transfer.TableShape>();
    for (const r of cols.rows) {
      const shape = shapes.get(r.table_name) ?? { name: r.table_name, columns: [], primaryKey: [] };
      shape.columns.push({ name: r.column_name, kind: kind(r.data_type) });
      shapes.set(r.table_name, shape);
    }
    for (const r of keys.rows) shapes.get(r.table_name)?.primaryKey.push(r.column_name);
    return shapes;
  }

  /** One REPEATABLE READ, READ ONLY transaction: a consistent snapshot while instances keep writing. */
  async *exportRows(opts: S.ExportOptions): AsyncIterable<S.TransferRecord> {
    const c = await this.pool.connect().catch((e: unknown) => Promise.reject(storeFailure(e)));
    let committed = false;
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const shapes = await this.tableShapes(c);
      for (const table of transfer.transferTables(shapes.keys(), opts.journal)) {
        const shape = shapes.get(table) as transfer.TableShape;
        const filter = transfer.EXPORT_FILTERS[table];
        const text = new Set(shape.columns.filter((x) => x.kind === 'other').map((x) => x.name));
        // Bytewise order for text keys, as SQLite's, so both backends export rows in one order.
        const order = transfer
          .exportOrderKeys(shape)
          .map((k) => (text.has(k) ? `${transfer.quoteIdent(k)} COLLATE "C"` : transfer.quoteIdent(k)))
          .join(', ');
        const where = filter ? ` WHERE ${transfer.quoteIdent(filter.column)} > $3` : '';
        const sql = `SELECT * FROM ${transfer.quoteIdent(table)}${where} ORDER BY ${order} LIMIT $1 OFFSET $2`;
        for (let offset = 0; ; offset += transfer.EXPORT_PAGE) {
          const params: unknown[] = [transfer.EXPORT_PAGE, offset, ...(filter ? [opts.now] : [])];
          const { rows } = await c.query<Row>(sql, params);
          for (const row of rows) yield { table, row: transfer.encodeRow(shape, row) };
          if (rows.length < transfer.EXPORT_PAGE) break;
        }
      }
      await c.query('COMMIT');
      committed = true;
    } catch (e) {
      throw storeFailure(e);
    } finally {
      // Also when the reader stopped early: the snapshot is given back before the connection.
      if (committed) c.release();
      else
        await c.query('ROLLBACK').then(
          () => c.release(),
          () => c.release(true),
        );
    }
  }

  async importRows(records: AsyncIterable<S.TransferRecord>): Promise<Record<string, number>> {
    return this.tx(async (c) => {
      const shapes = await this.tableShapes(c);
      const counts = await transfer.importInto(
        {
          shapes,
          hasRows: async (table) =>
            (await c.query(`SELECT 1 FROM ${transfer.quoteIdent(table)} LIMIT 1`)).rowCount !== 0,
          insert: async (table, columns, rows) => {
            const values = rows.map(
              (r, i) => `(${r.map((_, j) => `$${i * columns.length + j + 1}`).join(', ')})`,
            );
            // Identity columns (outbox ids, history and journal sequence numbers) keep their values.
            await c.query(
              `INSERT INTO ${transfer.quoteIdent(table)} (${columns.map(transfer.quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${values.join(', ')}`,
              rows.flat(),
            );
          },
        },
        records,
      );
      // New identity values continue after the imported ones.
      const identities = await c.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND is_identity = 'YES'`,
      );
      for (const { table_name: t, column_name: col } of identities.rows) {
        await c.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT max(${transfer.quoteIdent(col)}) AS m FROM ${transfer.quoteIdent(t)}) x WHERE m IS NOT NULL`,
          [transfer.quoteIdent(t), col],
        );
      }
      return counts;
    });
  }
}

// ——— migrations (src/store/migrator.ts) ———

type Query = (name: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>[]>;

function pgQuery(c: ClientBase): Query {
  const sql = loadStatements('postgres');
  return async (name, params = {}) => {
    const { text, names } = toPositional(sql[name]);
    return (
      await c.query(
        text,
        names.map((n) => params[n] ?? null),
      )
    ).rows as Record<string, unknown>[];
  };
}

async function pgApplied(q: Query): Promise<AppliedRow[]> {
  const [present] = await q('meta.has_migrations');
  if (Number(present.n) === 0) return [];
  return (await q('meta.applied')).map(appliedRow);
}

/**
 * Applies pending PostgreSQL migrations on `c`, which must be inside a transaction: the advisory
 * lock is held until it ends. Returns those applied.
 */
export async function applyPostgresMigrations(
  c: ClientBase,
  schema: string | undefined,
): Promise<Migration[]> {
  const q = pgQuery(c);
  const migrations = loadMigrations('postgres');
  await q('meta.lock', { schema: schema ?? 'public' });
  if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await c.query(loadStatements('postgres')['meta.create_migrations']);
  const applied = await pgApplied(q);
  checkApplied(migrations, applied);
  const done = new Set(applied.map((a) => a.version));
  const pending = migrations.filter((x) => !done.has(x.version));
  for (const m of pending) {
    await c.query(m.sql);
    await q('meta.record_migration', { ...m, now: new Date() });
  }
  return pending;
}

export async function postgresMigrator(url: string): Promise<Migrator> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const c = new Client({ connectionString, options: schema ? `-c search_path=${schema}` : undefined });
  try {
    await c.connect();
  } catch (e) {
    throw storeFailure(e);
  }
  const q = pgQuery(c);
  const status = async () => describeMigrations(loadMigrations('postgres'), await pgApplied(q));
  return {
    backend: 'postgres',
    status: async () => {
      try {
        return await status();
      } catch (e) {
        throw storeFailure(e);
      }
    },
    apply: async () => {
      try {
        await c.query('BEGIN');
        const now = await applyPostgresMigrations(c, schema);
        await c.query('COMMIT');
        return (await status()).filter((s) => now.some((m) => m.version === s.version));
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw storeFailure(e);
      }
    },
    close: () => c.end(),
  };
}
