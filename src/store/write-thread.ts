/**
 * SQLite writes off the event loop (issue 18): a worker thread that owns its own connection to
 * the store's file (WAL) and commits, in groups, the two kinds of write every request makes and
 * no answer waits on the content of — the exchange journal and nonce persistence. better-sqlite3
 * is synchronous: on the request thread each commit (and each wait for the file's write lock)
 * stalls every exchange in flight; here it stalls none.
 *
 * - Nonces: `remember` still resolves only once the nonce is committed (replay protection across
 *   restarts and workers needs it stored before the request goes on), but the request thread is
 *   free meanwhile. The inserts of one event-loop turn go as one message, one transaction.
 * - Journal: records are posted (as insert parameters, built here: the thread needs no module
 *   of couponbridge) in batches of ≤ 128 or every 20 ms, as the in-process writer did
 *   (runtime.ts createJournalWriter); each record's add() resolves with the error that lost it,
 *   if any. As before, a batch in memory is lost if the process dies (docs/operations.md:
 *   the journal is a record of answers already sent, not something a caller was promised).
 * - What an answer depends on (idempotency, quota, ledger transitions) stays on the request
 *   thread's connection, each in its own transaction.
 * - Faults: a driver error the store classifies as operational (busy, full, read-only, I/O)
 *   becomes CB_STORE_UNAVAILABLE, as on the main connection (failures.ts); a journal batch that
 *   fails otherwise is retried record by record, so one bad record costs only itself.
 *
 * Opt-in (startServer's `offLoopWrites`, not yet a configuration key): the store's own fault
 * handling — the contended mode after SQLITE_BUSY (sqlite.ts), faults the fault tests set on the
 * main connection (query_only, max_page_count) — does not reach this connection yet.
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

type Ask = { type: 'nonces'; rows: Row[] } | { type: 'journal'; records: JournalRows[] } | { type: 'close' };

interface WireError {
  message: string;
  code?: string;
}

type Reply =
  | { id: number; fresh: boolean[] }
  | { id: number; lost: Array<WireError | null> }
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
const insert = (r) => {
  st.insert.run(r.exchange);
  for (const k of r.keys) st.insertKey.run(k);
  for (const a of r.anomalies) st.insertAnomaly.run(a);
};
parentPort.on('message', (m) => {
  if (m.type === 'close') {
    db.close();
    parentPort.postMessage({ id: m.id });
    return;
  }
  if (m.type === 'nonces') {
    try {
      const fresh = db.transaction(() => m.rows.map((r) => st.remember.get(r) !== undefined)).immediate();
      parentPort.postMessage({ id: m.id, fresh });
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: wire(e) });
    }
    return;
  }
  try {
    db.transaction(() => m.records.forEach(insert)).immediate();
    parentPort.postMessage({ id: m.id, lost: m.records.map(() => null) });
  } catch (e) {
    if (operational(e)) {
      parentPort.postMessage({ id: m.id, lost: m.records.map(() => wire(e)) });
      return;
    }
    const lost = m.records.map((r) => {
      try {
        db.transaction(() => insert(r)).immediate();
        return null;
      } catch (e1) {
        return wire(e1);
      }
    });
    parentPort.postMessage({ id: m.id, lost });
  }
});
`;

export interface WriteThread {
  /** Drop-in for Runtime.journal. */
  journal: Batcher<ExchangeRecord, Error | undefined>;
  /** Drop-in for Runtime.nonces. */
  nonces: NonceMemory;
  /** Drains both, then closes the thread's connection and ends the thread. */
  close(): Promise<void>;
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

/**
 * Starts the thread on the SQLite file of `opts`, whose schema the store's main connection has
 * already migrated (not ':memory:': a second connection would see another database).
 */
export function startWriteThread(opts: SqliteOptions): WriteThread {
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
  const pending = new Map<number, (r: Reply) => void>();
  let dead: Error | undefined;
  worker.on('message', (r: Reply) => {
    const settle = pending.get(r.id);
    pending.delete(r.id);
    settle?.(r);
  });
  const fail = (e: Error) => {
    dead = e;
    for (const [id, settle] of pending) settle({ id, error: { message: e.message } });
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(dead ?? new Error('write thread ended')));
  const ask = (m: Ask): Promise<Reply> => {
    if (dead) return Promise.resolve({ id: -1, error: { message: dead.message } });
    const id = nextId++;
    return new Promise<Reply>((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ ...m, id });
    });
  };

  const nonceBatch = createBatcher(
    async (rows: Row[]): Promise<boolean[]> => {
      const r = await ask({ type: 'nonces', rows });
      if ('error' in r) throw toError(r.error);
      return (r as { fresh: boolean[] }).fresh;
    },
    { maxItems: 256, maxWaitMs: 0 },
  );
  const journal = createBatcher(
    async (records: ExchangeRecord[]): Promise<Array<Error | undefined>> => {
      const r = await ask({ type: 'journal', records: records.map(journalRows) });
      if ('error' in r) return records.map(() => toError(r.error));
      return (r as { lost: Array<WireError | null> }).lost.map((w) => (w ? toError(w) : undefined));
    },
    { maxItems: 128, maxWaitMs: 20 },
  );
  return {
    journal,
    nonces: {
      remember: (scope, nonce, expiresAtMs, nowMs) =>
        nonceBatch.add({ scope, nonce, expires_at: iso(new Date(expiresAtMs)), now: iso(new Date(nowMs)) }),
    },
    async close() {
      await Promise.all([journal.drain(), nonceBatch.drain()]);
      if (!dead) await ask({ type: 'close' });
      await worker.terminate();
    },
  };
}
