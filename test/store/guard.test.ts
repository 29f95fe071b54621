/**
 * The store guard (src/store/guard.ts) over a real SQLite store whose ping and writes are made to
 * fail the way a lost database fails: an unreachable database opens the guard (later calls fail at
 * once, without reaching the store), a probe with backoff closes it again; a busy or full database
 * does not open it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCbError } from '../../src/errors';
import { openSqlite } from '../../src/store/sqlite';
import { StoreUnavailableError } from '../../src/store/failures';
import { guardStore, type StoreHealth } from '../../src/store/guard';

const lost = () => new StoreUnavailableError('Connection terminated unexpectedly', true);
const busy = () => new StoreUnavailableError('database is locked', false);

/** A SQLite store whose calls fail with `fault` while it is set, counting the calls that reached it. */
function faultyStore() {
  const store = openSqlite({ path: ':memory:' });
  const state: { fault?: () => Error; reached: number } = { reached: 0 };
  for (const name of ['ping', 'purgeNonces'] as const) {
    const real = store[name].bind(store) as (...a: unknown[]) => Promise<unknown>;
    Object.assign(store, {
      [name]: (...args: unknown[]) => {
        state.reached += 1;
        return state.fault ? Promise.reject(state.fault()) : real(...args);
      },
    });
  }
  return { store, state };
}

describe('store guard', () => {
  test('an unreachable database opens it: later calls fail at once; the probe closes it when the database is back', async () => {
    const { store, state } = faultyStore();
    const changes: Array<[StoreHealth, number | undefined]> = [];
    const g = guardStore(store, {
      minBackoffMs: 20,
      maxBackoffMs: 40,
      onChange: (h, ms) => changes.push([h, ms]),
    });
    try {
      assert.equal(await g.purgeNonces(new Date()), 0);
      state.fault = lost;
      await assert.rejects(g.purgeNonces(new Date()), /Connection terminated/);
      assert.equal(g.health().up, false);
      assert.match(String(g.health().reason), /Connection terminated/);
      const reached = state.reached;
      await assert.rejects(
        g.purgeNonces(new Date()),
        (e: unknown) => isCbError(e) && /unreachable since/.test(e.message),
      );
      assert.equal(state.reached, reached, 'failed at once, without reaching the store');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(state.reached > reached, 'the probe keeps trying');
      assert.equal(g.health().up, false);

      let resumed = false;
      const up = g.whenUp().then(() => (resumed = true));
      state.fault = undefined;
      // The probe's timer is unref'd (it must not keep a stopping server alive): hold the loop here.
      const hold = setInterval(() => undefined, 1000);
      await up.finally(() => clearInterval(hold));
      assert.ok(resumed);
      assert.equal(g.health().up, true);
      assert.equal(await g.purgeNonces(new Date()), 0);
      assert.deepEqual(
        changes.map(([h]) => h.up),
        [false, true],
      );
      assert.ok((changes[1][1] ?? -1) >= 0, 'the outage length is reported');
    } finally {
      await g.close();
    }
  });

  test('a busy or full database does not open it: the next call is tried normally', async () => {
    const { store, state } = faultyStore();
    const g = guardStore(store);
    try {
      state.fault = busy;
      await assert.rejects(g.purgeNonces(new Date()), /locked/);
      assert.equal(g.health().up, true);
      state.fault = undefined;
      assert.equal(await g.purgeNonces(new Date()), 0);
    } finally {
      await g.close();
    }
  });

  test('a ping that finds the database gone opens it too (readiness), and a ping that works closes it', async () => {
    const { store, state } = faultyStore();
    const g = guardStore(store, { minBackoffMs: 10_000 });
    try {
      state.fault = lost;
      await assert.rejects(g.ping());
      assert.equal(g.health().up, false);
      state.fault = undefined;
      await g.ping();
      assert.equal(g.health().up, true);
    } finally {
      await g.close();
    }
  });
});
