/**
 * The write thread (src/store/write-thread.ts): nonces and journal records committed by a worker
 * thread on its own connection to the SQLite file, read back through the store's main connection;
 * a record that cannot be stored loses only itself; a lock held past busy_timeout fails the batch
 * as CB_STORE_UNAVAILABLE (answered 503), and writes resume once the lock is gone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isCbError } from '../../src/errors';
import { openSqlite } from '../../src/store/sqlite';
import type { ExchangeRecord } from '../../src/store/types';
import { startWriteThread, type WriteThread } from '../../src/store/write-thread';
import { createJournalWriter, createStoreNonces } from '../../src/runtime';
import type { SqliteStore } from '../../src/store/sqlite';

const record = (id: string, extra: Partial<ExchangeRecord> = {}): ExchangeRecord => ({
  id,
  at: new Date('2026-03-01T02:00:00.000Z'),
  route: 'tencent.coupon-status-rsync',
  partner: 'sp-test',
  businessKeys: [`key-${id}`, `key-${id}`, 'two-exchanges-key'],
  outcome: 'success',
  durationMs: 1.4,
  data: { inbound: { method: 'POST', path: '/p', body: `body of ${id}` } },
  ...extra,
});

function freshFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'cb-wt-')), 'cb.db');
}

/** The thread on `path`, failing over to the in-loop writers on `store`; `failovers` records why. */
function startOn(
  path: string,
  store: SqliteStore,
  busyTimeoutMs?: number,
): WriteThread & { failovers: Error[] } {
  const failovers: Error[] = [];
  const t = startWriteThread(
    { path, busyTimeoutMs },
    {
      journal: createJournalWriter(store),
      nonces: createStoreNonces(store),
      onFailover: (e) => failovers.push(e),
    },
  );
  return Object.assign(t, { failovers });
}

describe('write thread', () => {
  test('remembers nonces once per scope, committed where the main connection sees them', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store);
    try {
      const now = Date.now();
      const exp = now + 60_000;
      const first = await Promise.all([
        t.nonces.remember('tencent:K', 'n1', exp, now),
        t.nonces.remember('tencent:K', 'n2', exp, now),
        t.nonces.remember('tencent:OTHER', 'n1', exp, now),
      ]);
      assert.deepEqual(first, [true, true, true]);
      assert.equal(await t.nonces.remember('tencent:K', 'n1', exp, now), false, 'a replay');
      // the main connection finds them stored
      assert.deepEqual(
        await store.rememberNonces(
          [
            { scope: 'tencent:K', nonce: 'n2', expiresAt: new Date(exp) },
            { scope: 'tencent:K', nonce: 'n3', expiresAt: new Date(exp) },
          ],
          new Date(now),
        ),
        [false, true],
      );
      assert.equal(
        await t.nonces.remember('tencent:K', 'n3', exp, now),
        false,
        'seen by the other connection',
      );
      // an expired nonce may be used again
      assert.equal(await t.nonces.remember('tencent:X', 'old', now - 1, now - 2), true);
      assert.equal(await t.nonces.remember('tencent:X', 'old', exp, now), true);
    } finally {
      await t.close();
      await store.close();
    }
  });

  test('journals records with their business keys and anomalies; a bad record loses only itself', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store);
    try {
      const anomalies = [{ kind: 'redeem_unknown', ref: 'G1', code: '1004', detail: 'unknown grant' }];
      const lost = await Promise.all([
        t.journal.add(record('x1')),
        t.journal.add(record('x2', { anomalies })),
        t.journal.add(record('x1')), // the same id again: refused by the primary key
      ]);
      assert.equal(lost[0], undefined);
      assert.equal(lost[1], undefined);
      assert.match(String(lost[2]), /UNIQUE/);
      const x1 = await store.getExchange('x1');
      assert.deepEqual(x1?.businessKeys, ['key-x1', 'two-exchanges-key']);
      assert.equal(x1?.outcome, 'success');
      assert.equal(x1?.durationMs, 1);
      assert.deepEqual(x1?.data, { inbound: { method: 'POST', path: '/p', body: 'body of x1' } });
      assert.deepEqual((await store.findExchanges('two-exchanges-key')).map((e) => e.id).sort(), [
        'x1',
        'x2',
      ]);
      const a = await store.listAnomalies({
        from: new Date('2026-03-01T00:00:00Z'),
        to: new Date('2026-03-02T00:00:00Z'),
      });
      assert.deepEqual(
        a.map((r) => [r.exchangeId, r.kind, r.ref, r.code, r.detail]),
        [['x2', 'redeem_unknown', 'G1', '1004', 'unknown grant']],
      );
    } finally {
      await t.close();
      await store.close();
    }
  });

  test('a write lock held past busy_timeout: CB_STORE_UNAVAILABLE for the batch, then writes again', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store, 50);
    const db = Reflect.get(store, 'db') as Database.Database;
    try {
      db.prepare('BEGIN IMMEDIATE').run();
      const unavailable = (e: unknown) => isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE';
      await assert.rejects(t.nonces.remember('s', 'n1', Date.now() + 60_000, Date.now()), unavailable);
      const lost = await Promise.all([t.journal.add(record('y1')), t.journal.add(record('y2'))]);
      for (const e of lost) assert.ok(unavailable(e), String(e));
      db.prepare('COMMIT').run();
      assert.equal(await t.nonces.remember('s', 'n1', Date.now() + 60_000, Date.now()), true);
      assert.equal(await t.journal.add(record('y3')), undefined);
      assert.deepEqual(
        (await store.listExchanges()).map((e) => e.id),
        ['y3'],
      );
    } finally {
      if (db.inTransaction) db.prepare('ROLLBACK').run();
      await t.close();
      await store.close();
    }
  });

  test('after SQLITE_BUSY the thread does not wait on the lock again until a write gets it', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store, 300);
    const db = Reflect.get(store, 'db') as Database.Database;
    try {
      assert.deepEqual(await t.pragma('busy_timeout'), [{ timeout: 300 }]);
      db.prepare('BEGIN IMMEDIATE').run();
      await assert.rejects(t.nonces.remember('s', 'b1', Date.now() + 60_000, Date.now()), /locked/);
      assert.deepEqual(await t.pragma('busy_timeout'), [{ timeout: 0 }], 'contended: no wait');
      db.prepare('COMMIT').run();
      assert.equal(await t.nonces.remember('s', 'b1', Date.now() + 60_000, Date.now()), true);
      assert.deepEqual(await t.pragma('busy_timeout'), [{ timeout: 300 }], 'the wait restored');
    } finally {
      if (db.inTransaction) db.prepare('ROLLBACK').run();
      await t.close();
      await store.close();
    }
  });

  test('a read-only or full database: nonces refused as CB_STORE_UNAVAILABLE, the journal batch lost whole, then writes again', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store);
    const unavailable = (e: unknown) => isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE';
    try {
      await t.pragma('query_only = 1');
      await assert.rejects(t.nonces.remember('s', 'r1', Date.now() + 60_000, Date.now()), unavailable);
      const lost = await Promise.all([t.journal.add(record('r1')), t.journal.add(record('r2'))]);
      for (const e of lost) assert.ok(unavailable(e) && /readonly/.test(String(e)), String(e));
      await t.pragma('query_only = 0');
      const pages = (await t.pragma('page_count')) as Array<{ page_count: number }>;
      await t.pragma(`max_page_count = ${pages[0].page_count}`);
      const big = record('r3', {
        data: { inbound: { method: 'POST', path: '/p', body: 'x'.repeat(200_000) } },
      });
      const full = await t.journal.add(big);
      assert.ok(unavailable(full) && /full/.test(String(full?.message)), String(full));
      await t.pragma('max_page_count = 1073741823');
      assert.equal(await t.nonces.remember('s', 'r1', Date.now() + 60_000, Date.now()), true);
      assert.equal(await t.journal.add(record('r4')), undefined);
      assert.deepEqual(
        (await store.listExchanges()).map((e) => e.id),
        ['r4'],
      );
      assert.deepEqual(t.failovers, [], 'a fault is not a failover');
    } finally {
      await t.close();
      await store.close();
    }
  });

  test('the thread ending unasked: logged once, and every write from then on goes through the loop', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store);
    try {
      assert.equal(await t.nonces.remember('s', 'd1', Date.now() + 60_000, Date.now()), true);
      await t.worker.terminate();
      assert.equal(t.running(), false);
      assert.equal(t.failovers.length, 1);
      assert.match(t.failovers[0].message, /write thread ended/);
      assert.equal(
        await t.nonces.remember('s', 'd1', Date.now() + 60_000, Date.now()),
        false,
        'still a replay',
      );
      assert.equal(await t.nonces.remember('s', 'd2', Date.now() + 60_000, Date.now()), true);
      assert.equal(await t.journal.add(record('d1')), undefined);
      assert.ok(await store.getExchange('d1'), 'written by the main connection');
      await assert.rejects(t.pragma('query_only'), /gone/);
    } finally {
      await t.close();
      await store.close();
    }
    assert.equal(t.failovers.length, 1, 'close is no failover');
  });

  test('a crash before the commit loses nothing: the unanswered nonce and journal batches are written in the loop', async () => {
    const path = freshFile();
    const store = openSqlite({ path });
    const t = startOn(path, store, 10_000);
    const other = new Database(path);
    try {
      // the thread waits on the lock inside its transaction's BEGIN, nothing committed
      other.exec('BEGIN IMMEDIATE');
      const nonce = t.nonces.remember('s', 'c1', Date.now() + 60_000, Date.now());
      const journaled = t.journal.add(record('c1'));
      await new Promise((r) => setTimeout(r, 100));
      const ended = t.worker.terminate();
      other.exec('ROLLBACK');
      await ended;
      assert.equal(await nonce, true, 'the request goes on with its nonce committed');
      assert.equal(await journaled, undefined);
      assert.equal(t.failovers.length, 1);
      assert.ok(await store.getExchange('c1'));
      assert.equal(
        await store.rememberNonce('s', 'c1', new Date(Date.now() + 60_000), new Date()),
        false,
        'the nonce is stored',
      );
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await t.close();
      await store.close();
    }
  });

  test('close drains what was posted; an in-memory database is refused', async () => {
    const path = freshFile();
    const store = openSqlite({ path }); // the main connection applies the migrations
    const t = startOn(path, store);
    const added = [t.journal.add(record('z1')), t.journal.add(record('z2'))];
    const remembered = t.nonces.remember('s', 'z1', Date.now() + 60_000, Date.now());
    await t.close();
    assert.deepEqual(await Promise.all(added), [undefined, undefined]);
    assert.equal(await remembered, true);
    assert.ok(await store.getExchange('z1'));
    assert.ok(await store.getExchange('z2'));
    assert.deepEqual(t.failovers, []);
    assert.throws(() => startOn(':memory:', store), /in-memory/);
    await store.close();
  });
});
