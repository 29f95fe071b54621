/**
 * The runtime's batchers through a store fault, on a real SQLite store turned read-only
 * (SQLITE_READONLY) and back: the journal writer loses the batch whole — one failed write, no
 * second round record by record — and each record learns its error; the nonce batcher rejects its
 * requests with CB_STORE_UNAVAILABLE (answered 503). Both work again once the store does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { isCbError } from '../../src/errors';
import { createJournalWriter, createStoreNonces } from '../../src/runtime';
import { openSqlite } from '../../src/store/sqlite';
import type { ExchangeRecord } from '../../src/store/types';

const record = (id: string): ExchangeRecord => ({
  id,
  at: new Date(),
  route: 'tencent.coupon-status-rsync',
  partner: 'sp-test',
  businessKeys: [`key-${id}`],
  outcome: 'success',
  durationMs: 1,
  data: {},
});

describe('batchers through a store fault', () => {
  test('the journal loses the batch whole while the store cannot serve, then writes again', async () => {
    const store = openSqlite({ path: ':memory:' });
    const db = Reflect.get(store, 'db') as Database.Database;
    let oneByOne = 0;
    const appendExchange = store.appendExchange.bind(store);
    store.appendExchange = (e) => {
      oneByOne += 1;
      return appendExchange(e);
    };
    const journal = createJournalWriter(store);
    db.pragma('query_only = 1');
    const lost = await Promise.all(['x1', 'x2', 'x3'].map((id) => journal.add(record(id))));
    for (const e of lost) assert.ok(isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE', String(e));
    assert.equal(oneByOne, 0, 'no second round of writes that cannot succeed');
    db.pragma('query_only = 0');
    assert.deepEqual(await Promise.all(['x4', 'x5'].map((id) => journal.add(record(id)))), [
      undefined,
      undefined,
    ]);
    assert.deepEqual((await store.listExchanges()).map((e) => e.id).sort(), ['x4', 'x5']);
    await store.close();
  });

  test('the nonce batcher rejects with CB_STORE_UNAVAILABLE while the store cannot serve, then remembers again', async () => {
    const store = openSqlite({ path: ':memory:' });
    const db = Reflect.get(store, 'db') as Database.Database;
    const nonces = createStoreNonces(store);
    const expires = Date.now() + 60_000;
    db.pragma('query_only = 1');
    await assert.rejects(
      nonces.remember('sp', 'n1', expires, Date.now()),
      (e: unknown) => isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE',
    );
    db.pragma('query_only = 0');
    assert.equal(
      await nonces.remember('sp', 'n1', expires, Date.now()),
      true,
      'the refused nonce was not stored',
    );
    assert.equal(await nonces.remember('sp', 'n1', expires, Date.now()), false);
    await store.close();
  });
});
