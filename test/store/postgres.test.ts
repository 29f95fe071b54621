/**
 * The store contract against a real PostgreSQL (COUPONBRIDGE_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test) in a random schema dropped at the end. Each contract
 * test starts from emptied tables (creating a schema per test costs ~0.5 s of DDL each); the
 * migration tests below use schemas of their own.
 * With CI=true an unreachable server fails the run; locally the suite is skipped, loudly.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { baseUrl, withPg } from '../support/pg';
import { isCbError } from '../../src/errors';
import { loadMigrations } from '../../src/store/sql-files';
import { openStore } from '../../src/store/open';
import { parsePostgresUrl } from '../../src/store/postgres';
import { runStoreContract, type TestDatabase } from './contract';
import { assertSchemaSnapshot } from './snapshot';

const host = new URL(baseUrl).host;

function urlFor(schema: string): string {
  const u = new URL(baseUrl);
  u.searchParams.set('schema', schema);
  return u.toString();
}

const randomSchema = (): string => `cbtest_${randomBytes(6).toString('hex')}`;
const dropSchema = (schema: string): Promise<void> =>
  withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined);

const shared = randomSchema();
let migrated = false;

async function newDatabase(): Promise<TestDatabase> {
  if (!migrated) {
    await (await openStore(urlFor(shared))).close();
    migrated = true;
  }
  await withPg(async (c) => {
    const tables = await c.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'schema_migrations'",
      [shared],
    );
    await c.query(tables.rows.map((r) => `DELETE FROM ${shared}.${r.table_name};`).join('\n'));
  });
  return { open: () => openStore(urlFor(shared)), drop: async () => undefined };
}

async function reachability(): Promise<string | undefined> {
  try {
    await withPg((c) => c.query('SELECT 1'));
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('postgres', async () => {
  const down = await reachability();
  if (down && process.env.CI === 'true') {
    test(`PostgreSQL is reachable at ${host} (required in CI)`, () => assert.fail(down));
    return;
  }
  if (down) {
    console.error(
      `\n*** PostgreSQL at ${host} is unreachable (${down}): SKIPPING the PostgreSQL store contract ***\n`,
    );
    test('the PostgreSQL store contract', { skip: `PostgreSQL unreachable at ${host}` }, () => undefined);
    return;
  }

  after(() => dropSchema(shared));
  runStoreContract('postgres', newDatabase);

  describe('postgres store', () => {
    test('matches the schema snapshot', async () => {
      const schema = randomSchema();
      try {
        await (await openStore(urlFor(schema))).close();
        const lines = await withPg(async (c) => {
          const cols = await c.query(
            `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
             WHERE table_schema = $1`,
            [schema],
          );
          const idx = await c.query(
            'SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1',
            [schema],
          );
          return [
            ...cols.rows.map(
              (r) =>
                `column ${r.table_name}.${r.column_name} ${r.data_type}${r.is_nullable === 'NO' ? ' not null' : ''}`,
            ),
            ...idx.rows.map(
              (r) =>
                `index ${r.tablename} ${String(r.indexdef)
                  .replace(`${schema}.`, '')
                  .replace(/^CREATE /, '')}`,
            ),
          ];
        });
        assertSchemaSnapshot('postgres', lines);
      } finally {
        await dropSchema(schema);
      }
    });

    test('migrates a new schema once when five instances open it together', async () => {
      const schema = randomSchema();
      try {
        const stores = await Promise.all(Array.from({ length: 5 }, () => openStore(urlFor(schema))));
        const latest = Math.max(...loadMigrations('postgres').map((m) => m.version));
        assert.deepEqual(await Promise.all(stores.map((s) => s.schemaVersion())), [
          latest,
          latest,
          latest,
          latest,
          latest,
        ]);
        await Promise.all(stores.map((s) => s.close()));
        const n = await withPg((c) => c.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`));
        assert.equal(n.rows[0].n, loadMigrations('postgres').length, 'each migration applied once');
      } finally {
        await dropSchema(schema);
      }
    });

    test('refuses to open a schema whose applied migration was edited', async () => {
      const schema = randomSchema();
      try {
        await (await openStore(urlFor(schema))).close();
        await withPg((c) =>
          c.query(`UPDATE ${schema}.schema_migrations SET checksum = 'edited' WHERE version = 1`),
        );
        await assert.rejects(openStore(urlFor(schema)), /0001_init was changed after it was applied/);
      } finally {
        await dropSchema(schema);
      }
    });

    test('keeps every connection of the pool in its schema', async () => {
      const schema = randomSchema();
      const store = await openStore(urlFor(schema));
      try {
        // Ten concurrent writes use several pooled connections; all must land in the schema.
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.rememberNonce('s', `n${i}`, new Date(9e12), new Date())),
        );
        const n = await withPg((c) => c.query(`SELECT count(*)::int AS n FROM ${schema}.nonces`));
        assert.equal(n.rows[0].n, 10);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });
  });
});

describe('postgres store URL and failures', () => {
  test('takes the schema out of the URL and refuses names that are not plain identifiers', () => {
    assert.deepEqual(parsePostgresUrl('postgres://u@h:5432/db?schema=cb_1&sslmode=disable'), {
      connectionString: 'postgres://u@h:5432/db?sslmode=disable',
      schema: 'cb_1',
      connectTimeoutMs: 3000,
      queryTimeoutMs: 4000,
    });
    assert.equal(parsePostgresUrl('postgres://u@h/db').schema, undefined);
    for (const bad of ['Cb', 'x;drop', '1a', 'a-b']) {
      assert.throws(() => parsePostgresUrl(`postgres://u@h/db?schema=${bad}`), /lower-case identifier/, bad);
    }
  });

  test('bounds every wait: connect_timeout (s) and query_timeout (ms) come out of the URL', () => {
    const p = parsePostgresUrl('postgres://u@h/db?connect_timeout=2&query_timeout=1500&application_name=cb');
    assert.equal(p.connectionString, 'postgres://u@h/db?application_name=cb');
    assert.equal(p.connectTimeoutMs, 2000);
    assert.equal(p.queryTimeoutMs, 1500);
    for (const bad of ['0', '-1', '1.5', 'x']) {
      assert.throws(
        () => parsePostgresUrl(`postgres://u@h/db?query_timeout=${bad}`),
        /positive integer/,
        bad,
      );
    }
  });

  test('reports a server that cannot be reached as CB_STORE_UNAVAILABLE', async () => {
    await assert.rejects(
      openStore('postgres://postgres@127.0.0.1:1/test'),
      (e: unknown) => isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE',
    );
  });
});
