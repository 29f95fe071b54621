/**
 * SQLite writes off the event loop (issue 18), the default for a SQLite file store
 * (`store.write_thread`, docs/operations.md): a worker thread that owns its own connection to the
 * store's file (WAL) and commits, in groups, the two kinds of write every request makes and no
 * answer waits on the content of — the exchange journal and nonce persistence. better-sqlite3 is
 * synchronous: on the request thread each commit (and each wait for the file's write lock) stalls
 * every exchange in flight; here it stalls none.
 *
 * - Nonces: `remember` still resolves only once the nonce is committed (replay protection across
 *   restarts and workers needs it stored before the request goes on), but the request thread is
 *   free meanwhile. The inserts of one event-loop turn go as one message, one transaction.
 * - Journal: records are posted (as insert parameters, built here: the thread needs no module
 *   of couponbridge) in batches of ≤ 128 or every 20 ms, as the in-loop writer does
 *   (runtime.ts createJournalWriter); each record's add() resolves with the error that lost it,
 *   if any. As before, a batch in memory is lost if the process dies (docs/operations.md:
 *   the journal is a record of answers already sent, not something a caller was promised).
 * - Outbox bookkeeping stays on the main connection: an item is enqueued in the transaction of the
 *   ledger change or dedup record it belongs to (one commit), and the worker's claims and marks
 *   are answers the delivery loop waits on.
 * - What an answer depends on (idempotency, quota, ledger transitions) stays on the request
 *   thread's connection.
 * - Faults, as on the main connection (sqlite.ts, failures.ts): a driver error that means the
 *   database cannot serve (busy, full, read-only, I/O) becomes CB_STORE_UNAVAILABLE — a nonce
 *   batch's requests are answered 503, a journal batch is lost whole and each loss logged with its
 *   exchange; after SQLITE_BUSY the thread does not wait on the lock again until a write gets it
 *   (the contended mode). A journal batch that fails otherwise is retried record by record, so one
 *   bad record costs only itself.
 * - The thread ending unasked fails over to the in-loop writers (see startWriteThread).
 *
 * The thread runs code given as text (no module file): it loads only better-sqlite3, so it works
 * the same from dist/, from tsx and from the bench's bundle.
 */
import { Worker } from 'node:worker_threads';
import type { NonceMemory } from '../ledger/replay-guard';
import { createBatcher, type Batcher } from '../util/batcher';
import { storeFailure } from './failures';
import { exchangeParams, type Row } from './rows';
import { anomalyParams } from './settlement-rows';
import { loadStatements } from './sql-files';
import type { SqliteOptions } from './sqlite';
import type { ExchangeRecord } from './types';

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const iso = (d: Date): string => d.toISOString();

interface JournalRows {
  exchange: Row;
  keys: Row[];
  anomalies: Row[];
}

type Ask =
  | { type: 'nonces'; rows: Row[] }
  | { type: 'journal'; records: JournalRows[] }
  | { type: 'pragma'; text: string }
  | { type: 'close' };

interface WireError {
  message: string;
  code?: string;
}

type Reply =
  | { id: number; fresh: boolean[] }
  | { id: number; lost: Array<WireError | null> }
  | { id: number; value: unknown }
  | { id: number; error: WireError }
  | { id: number };

const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + workerData.synchronous);
const st = {};
for (const [name, text] of Object.entries(workerData.sql)) st[name] = db.prepare(text);
const wire = (e) => ({ message: String(e && e.message), code: e && typeof e.code === 'string' ? e.code : undefined });
const operational = (e) => /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|NOMEM|PROTOCOL)/.test(String(e && e.code));
// The contended mode of sqlite.ts: once a write gave up on a lock held past busy_timeout, the next
// ones do not wait until one gets the lock, so a queue of batches is not held busy_timeout each.
let contended = false;
const setContended = (on) => {
  contended = on;
  db.pragma('busy_timeout = ' + (on ? 0 : workerData.busyTimeoutMs));
};
const write = (fn) => {
  try {
    const result = db.transaction(fn).immediate();
    if (contended) setContended(false);
    return result;
  } catch (e) {
    if (e && e.code === 'SQLITE_BUSY' && !contended) setContended(true);
    throw e;
  }
};
const insert = (r) => {
  st.insert.run(r.exchange);
  for (const k of r.keys) st.insertKey.run(k);
  for (const a of r.anomalies) st.insertAnomaly.run(a);
};
const answer = {
  close: () => (db.close(), {}),
  pragma: (m) => ({ value: db.pragma(m.text) }),
  nonces: (m) => ({ fresh: write(() => m.rows.map((r) => st.remember.get(r) !== undefined)) }),
  journal: (m) => {
    try {
      write(() => m.records.forEach(insert));
      return { lost: m.records.map(() => null) };
    } catch (e) {
      if (operational(e)) return { lost: m.records.map(() => wire(e)) };
      // one bad record must not cost the batch
      return {
        lost: m.records.map((r) => {
          try {
            write(() => insert(r));
            return null;
          } catch (e1) {
            return wire(e1);
          }
        }),
      };
    }
  },
};
parentPort.on('message', (m) => {
  let reply;
  try {
    reply = { id: m.id, ...answer[m.type](m) };
  } catch (e) {
    reply = { id: m.id, error: wire(e) };
  }
  parentPort.postMessage(reply);
});
`;

export interface WriteThread {
  /** Drop-in for Runtime.journal. */
  journal: Batcher<ExchangeRecord, Error | undefined>;
  /** Drop-in for Runtime.nonces. */
  nonces: NonceMemory;
  /** False once the thread is gone and writes go through the in-loop writers. */
  running(): boolean;
  /**
   * Runs a PRAGMA on the thread's connection, as `db.pragma` does on the main one: the fault tests
   * set query_only and max_page_count on every connection couponbridge holds, as a read-only or
   * full filesystem would fail them all.
   */
  pragma(text: string): Promise<unknown>;
  /** Drains both, then closes the thread's connection and ends the thread. */
  close(): Promise<void>;
  /** The thread (the tests end it to see the failover). */
  readonly worker: Worker;
}

/** Where writes go once the thread is gone: the in-loop writers on the store's main connection. */
export interface InLoopWrites {
  journal: Batcher<ExchangeRecord, Error | undefined>;
  nonces: NonceMemory;
  /** Called once, with why the thread ended (log it, count it). */
  onFailover(e: Error): void;
}

function toError(w: WireError): Error {
  const e = Object.assign(new Error(w.message), w.code ? { code: w.code } : {});
  return storeFailure(e) as Error;
}

function journalRows(e: ExchangeRecord): JournalRows {
  return {
    exchange: exchangeParams(e, iso),
    keys: [...new Set(e.businessKeys)].map((key) => ({ key, id: e.id })),
    anomalies: anomalyParams(e, iso),
  };
}

interface NonceAsk {
  scope: string;
  nonce: string;
  expiresAtMs: number;
  nowMs: number;
}

const nonceRow = (n: NonceAsk): Row => ({
  scope: n.scope,
  nonce: n.nonce,
  expires_at: iso(new Date(n.expiresAtMs)),
  now: iso(new Date(n.nowMs)),
});

/**
 * Starts the thread on the SQLite file of `opts`, whose schema the store's main connection has
 * already migrated (not ':memory:': a second connection would see another database).
 *
 * If the thread ends unasked (it threw, ran out of memory, was terminated), `inLoop.onFailover` is
 * told and every write from then on goes through `inLoop` — the writes the thread had not answered
 * included: a batch it had not committed is written again on the main connection, so a request
 * waiting on its nonce still gets its answer from a committed nonce, and no journal record queued
 * is lost. (A batch committed in the instant between the commit and its answer reaching this thread
 * would be written twice: a nonce then reads as already used and the request is refused as a
 * replay — never accepted twice; a journal record is refused by its primary key and logged.)
 */
export function startWriteThread(opts: SqliteOptions, inLoop: InLoopWrites): WriteThread {
  if (opts.path === ':memory:')
    throw new Error('write thread: an in-memory database has no second connection');
  const sql = loadStatements('sqlite');
  const worker = new Worker(THREAD_CODE, {
    eval: true,
    workerData: {
      driver: require.resolve('better-sqlite3'),
      path: opts.path,
      busyTimeoutMs: Math.trunc(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS),
      synchronous: opts.synchronous === 'full' ? 'FULL' : 'NORMAL',
      sql: {
        remember: sql['nonces.remember'],
        insert: sql['journal.insert'],
        insertKey: sql['journal.insert_key'],
        insertAnomaly: sql['settlement.insert_anomaly'],
      },
    },
  });
  let nextId = 0;
  const pending = new Map<number, (r: Reply | undefined) => void>();
  /** Why the thread is gone; undefined while it runs. */
  let gone: Error | undefined;
  let closing = false;
  worker.on('message', (r: Reply) => {
    const settle = pending.get(r.id);
    pending.delete(r.id);
    settle?.(r);
  });
  const end = (e: Error) => {
    if (gone) return;
    gone = e;
    if (!closing) inLoop.onFailover(e);
    // unanswered: the caller writes them in the loop
    for (const settle of pending.values()) settle(undefined);
    pending.clear();
  };
  worker.on('error', end);
  worker.on('exit', (code) => end(new Error(`write thread ended (exit code ${code})`)));
  /** The thread's reply; undefined when the thread is gone (before or while asked). */
  const ask = (m: Ask): Promise<Reply | undefined> => {
    if (gone) return Promise.resolve(undefined);
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ ...m, id });
    });
  };

  const nonceBatch = createBatcher(
    async (asks: NonceAsk[]): Promise<boolean[]> => {
      const r = await ask({ type: 'nonces', rows: asks.map(nonceRow) });
      if (r === undefined)
        return Promise.all(asks.map((n) => inLoop.nonces.remember(n.scope, n.nonce, n.expiresAtMs, n.nowMs)));
      if ('error' in r) throw toError(r.error);
      return (r as { fresh: boolean[] }).fresh;
    },
    { maxItems: 256, maxWaitMs: 0 },
  );
  const journal = createBatcher(
    async (records: ExchangeRecord[]): Promise<Array<Error | undefined>> => {
      const r = await ask({ type: 'journal', records: records.map(journalRows) });
      if (r === undefined) return Promise.all(records.map((x) => inLoop.journal.add(x)));
      if ('error' in r) return records.map(() => toError(r.error));
      return (r as { lost: Array<WireError | null> }).lost.map((w) => (w ? toError(w) : undefined));
    },
    { maxItems: 128, maxWaitMs: 20 },
  );
  return {
    worker,
    journal,
    nonces: {
      remember: (scope, nonce, expiresAtMs, nowMs) => nonceBatch.add({ scope, nonce, expiresAtMs, nowMs }),
    },
    running: () => gone === undefined,
    async pragma(text) {
      const r = await ask({ type: 'pragma', text });
      if (r === undefined) throw new Error(`write thread: gone (${gone?.message})`);
      if ('error' in r) throw toError(r.error);
      return (r as { value: unknown }).value;
    },
    async close() {
      await Promise.all([journal.drain(), nonceBatch.drain()]);
      closing = true;
      await ask({ type: 'close' });
      await worker.terminate();
    },
  };
}
