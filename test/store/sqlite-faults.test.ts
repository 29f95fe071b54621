/**
 * SQLite faults under traffic: the write lock held by another connection past busy_timeout
 * (SQLITE_BUSY), a full database (SQLITE_FULL, forced with `PRAGMA max_page_count` since no tiny
 * filesystem is at hand) and a database that turned read-only (SQLITE_READONLY, as after the
 * filesystem is remounted read-only; forced with `PRAGMA query_only` on couponbridge's own
 * connection and the write thread's — running as root, file modes would not stop it). Each exchange is answered in its
 * dialect with the "system error, retry" code and HTTP 503 within the upstream timeout + 5 s, an
 * error line names the exchange, nothing escapes as an uncaught error, and once the fault clears
 * requests succeed again. Figures are printed for the record.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { createLogger } from '../../src/log';
import { startStack, type Stack, claimCoupon } from '../support/stack';
import { retryCode, traffic, type Sent } from '../support/faults';
import { parkPosYaml } from '../e2e/dianping-client';

const PYUN_TIMEOUT_MS = 1500;
const BUSY_TIMEOUT_MS = 1000;
const BOUND_MS = PYUN_TIMEOUT_MS + 5000;

const escaped: unknown[] = [];
process.on('uncaughtException', (e) => escaped.push(e));
process.on('unhandledRejection', (e) => escaped.push(e));

const dir = mkdtempSync(join(tmpdir(), 'cb-sqlite-faults-'));
const file = join(dir, 'cb.db');
const logs: Array<Record<string, unknown>> = [];
let stack: Stack;

/** couponbridge's own connection: the fault is injected where the filesystem would inject it. */
const ownConnection = (): Database.Database => Reflect.get(stack.running.rt.store, 'db') as Database.Database;

/**
 * A PRAGMA on every connection couponbridge holds — the main one and the write thread's (on by
 * default for a file store) — as a full or read-only filesystem fails them all.
 */
async function onEveryConnection(pragma: string): Promise<void> {
  const writes = stack.running.writes;
  assert.ok(writes && writes.running(), 'the write thread is on by default');
  ownConnection().pragma(pragma);
  await writes.pragma(pragma);
}

function assertRefused(fault: string, sent: Sent[], print = true): void {
  for (const r of sent) {
    if (print)
      console.log(
        `[fault] sqlite ${fault}: ${r.name} → HTTP ${r.status}, code ${String(r.code)}, ${r.ms} ms`,
      );
    assert.equal(r.status, 503, JSON.stringify(r));
    assert.equal(r.code, retryCode[r.name], JSON.stringify(r));
    assert.ok(r.ms <= BOUND_MS, `${r.name} took ${r.ms} ms (bound ${BOUND_MS})`);
  }
}

/**
 * The error line of a refused exchange, naming it and the SQLite reason for the operator, while the
 * partner's answer only says "system error, retry".
 */
function assertLogged(reason: RegExp): void {
  const line = logs.find(
    (l) => l.level === 'error' && l.outcome === 'CB_STORE_UNAVAILABLE' && reason.test(String(l.detail)),
  );
  assert.ok(line, `an error line for ${reason}: ${JSON.stringify(logs.slice(-5))}`);
  assert.match(String(line.exchange), /^x/);
  assert.doesNotMatch(String(line.answer), reason);
  assert.match(String(line.answer), /system error, retry/);
}

async function assertRecovered(fault: string, grantSerial: string): Promise<void> {
  const after = await traffic(stack, grantSerial);
  for (const r of after) assert.equal(r.status, 200, `${r.name} after ${fault}: ${JSON.stringify(r)}`);
  assert.deepEqual(escaped.map(String), [], 'no error escaped (each would have ended the process)');
}

describe('SQLite faults under traffic', () => {
  before(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    stack = await startStack({
      store: `sqlite:${file}?busy_timeout=${BUSY_TIMEOUT_MS}`,
      pyunTimeoutMs: PYUN_TIMEOUT_MS,
      extraYaml: `${parkPosYaml}\ngrant_serial_fallback: coupon_id`,
      logger: createLogger({ level: 'warn', stream }),
    });
  });
  after(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SQLITE_BUSY: a lock held past busy_timeout costs one caller the wait, the rest are answered at once', async () => {
    const { grantSerial } = await claimCoupon(stack);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      assertRefused('busy', await traffic(stack, grantSerial));
      // The wait blocks the event loop: without the fail-fast, each of these would wait busy_timeout.
      const t0 = performance.now();
      const more = [];
      for (let i = 0; i < 5; i++) more.push(...(await traffic(stack, grantSerial)));
      const ms = Math.round(performance.now() - t0);
      console.log(`[fault] sqlite busy: 20 more exchanges while locked answered in ${ms} ms in all`);
      assertRefused('busy', more, false);
      assert.ok(ms < 5 * BUSY_TIMEOUT_MS, `20 exchanges took ${ms} ms: they waited on the lock in turn`);
      assertLogged(/database is locked/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await assertRecovered('busy', grantSerial);
  });

  test('SQLITE_FULL: a full database refuses writes with 503, and takes them again once there is room', async () => {
    const { grantSerial } = await claimCoupon(stack);
    const pages = ownConnection().pragma('page_count', { simple: true }) as number;
    await onEveryConnection(`max_page_count = ${pages}`);
    try {
      // Fill the free space left in the last pages; then every write needs a page it cannot have.
      let sent: Sent[];
      let rounds = 0;
      do sent = await traffic(stack, grantSerial);
      while (!sent.every((r) => r.status === 503) && ++rounds < 500);
      assertRefused('full', sent);
      assertLogged(/disk is full/);
    } finally {
      await onEveryConnection('max_page_count = 1073741823');
    }
    await assertRecovered('full', grantSerial);
  });

  test('SQLITE_READONLY: a database turned read-only refuses writes with 503, no crash', async () => {
    const { grantSerial } = await claimCoupon(stack);
    await onEveryConnection('query_only = 1');
    try {
      assertRefused('read-only', await traffic(stack, grantSerial));
      assertLogged(/readonly database/);
    } finally {
      await onEveryConnection('query_only = 0');
    }
    await assertRecovered('read-only', grantSerial);
  });

  test('the write thread ending: an error line and a metric, and exchanges go on with their writes on the event loop', async () => {
    const { grantSerial } = await claimCoupon(stack);
    const writes = stack.running.writes;
    assert.ok(writes && writes.running());
    await writes.worker.terminate();
    const line = logs.find((l) => l.level === 'error' && /write thread failed/.test(String(l.message)));
    assert.ok(line, `an error line: ${JSON.stringify(logs.slice(-3))}`);
    assert.match(String(line.error), /write thread ended/);
    const metrics = await (await request(`${stack.url}/metrics`)).body.text();
    assert.match(metrics, /^couponbridge_write_thread_failures_total 1$/m);
    await stack.running.rt.journal.drain();
    const journaledBefore = (await stack.running.rt.store.listExchanges()).length;
    const sent = await traffic(stack, grantSerial);
    for (const r of sent) assert.equal(r.status, 200, JSON.stringify(r));
    await stack.running.rt.journal.drain();
    const journaled = (await stack.running.rt.store.listExchanges()).length - journaledBefore;
    // the four exchanges, and any outbox delivery the push started
    assert.ok(journaled >= 4, `the exchanges after the failover are journaled (${journaled})`);
    assert.deepEqual(escaped.map(String), []);
  });
});
