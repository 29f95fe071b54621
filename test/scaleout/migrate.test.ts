/**
 * `couponbridge migrate status|apply` and `store.migrate` (issue 15): several operators or
 * instances applying at once on a fresh store apply each migration exactly once; `serve` with
 * `store.migrate: manual` refuses to start while migrations are pending, naming them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/log';
import { startServer } from '../../src/server/start';
import { openMigrator } from '../../src/store/open';
import { loadMigrations } from '../../src/store/sql-files';
import { projectRoot } from '../../src/util/paths';
import { dropPgSchema, pgAvailability, pgSchemaUrl, withPg } from '../support/pg';

interface CliResult {
  out: string;
  err: string;
  code: number;
}

function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'cli-batch.ts'), JSON.stringify([args])],
      { encoding: 'utf8' },
      (e, out, err) =>
        e ? reject(new Error(`${e.message}\n${err}`)) : resolve((JSON.parse(out) as CliResult[])[0]),
    );
  });
}

const INSTANCES = 3;

/** Every migration applied exactly once among the concurrent runs, all of which succeed. */
async function applyConcurrently(url: string, backend: 'sqlite' | 'postgres'): Promise<void> {
  const shipped = loadMigrations(backend);
  const runs = await Promise.all(
    Array.from({ length: INSTANCES }, () => cli('migrate', 'apply', '--store', url)),
  );
  for (const r of runs) assert.equal(r.code, 0, r.err);
  const appliedLines = runs.flatMap((r) => r.out.split('\n').filter((l) => l.startsWith('applied ')));
  assert.deepEqual(
    appliedLines.map((l) => l.split(/\s+/)[1]).sort(),
    shipped.map((m) => m.name),
    'each migration reported applied by exactly one run',
  );
  assert.equal(
    runs.filter((r) => r.out.includes('nothing to apply')).length,
    INSTANCES - 1,
    'the others found nothing left to do',
  );
  const m = await openMigrator(url);
  try {
    assert.deepEqual(
      (await m.status()).map((x) => [x.name, x.state, x.checksum]),
      shipped.map((x) => [x.name, 'applied', x.checksum]),
    );
  } finally {
    await m.close();
  }
}

describe('migrate apply with several instances at once', async () => {
  test('SQLite: one fresh file, each migration applied once', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-migrate-'));
    try {
      await applyConcurrently(`sqlite:${join(dir, 'ledger.db')}`, 'sqlite');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const pg = await pgAvailability();
  test(
    'PostgreSQL: one fresh schema, each migration applied once',
    { skip: pg.skip, timeout: 120_000 },
    async () => {
      const { url, schema } = pgSchemaUrl('cbmig');
      try {
        await applyConcurrently(url, 'postgres');
        const rows = await withPg((c) =>
          c.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`),
        );
        assert.deepEqual(
          rows.rows.map((r) => Number(r.version)),
          loadMigrations('postgres').map((m) => m.version),
        );
      } finally {
        await dropPgSchema(schema);
      }
    },
  );
});

describe('migrate status and store.migrate', () => {
  const yaml = (store: string) => `
server: { host: 127.0.0.1, port: 0 }
store: ${store}
mappings: "${join(projectRoot(), 'mappings')}"
log: { level: error }
upstreams:
  pyun: { base_url: "http://127.0.0.1:9", app_id: op-test, app_secret: "\${S}" }
`;

  test('reads the object form of store, with auto as the default', () => {
    const c = parseConfig(yaml('{ url: "sqlite:var/a.db", migrate: manual, pool_max: 4 }'), '/srv/c.yaml', {
      S: 'migrate-test-secret-01',
    });
    assert.equal(c.store, 'sqlite:/srv/var/a.db');
    assert.deepEqual(c.store_settings, { migrate: 'manual', pool_max: 4 });
    assert.deepEqual(
      parseConfig(yaml('"sqlite:var/a.db"'), '/srv/c.yaml', { S: 'migrate-test-secret-01' }).store_settings,
      {
        migrate: 'auto',
      },
    );
    assert.deepEqual(
      parseConfig(yaml('{ url: "sqlite:var/a.db", write_thread: false }'), '/srv/c.yaml', {
        S: 'migrate-test-secret-01',
      }).store_settings,
      { migrate: 'auto', write_thread: false },
    );
    assert.throws(
      () =>
        parseConfig(yaml('{ url: "sqlite:var/a.db", write_thread: "off" }'), '/srv/c.yaml', {
          S: 'migrate-test-secret-01',
        }),
      /\/store\/write_thread/,
    );
    assert.throws(
      () =>
        parseConfig(yaml('{ url: "mysql://x", migrate: later }'), '/srv/c.yaml', {
          S: 'migrate-test-secret-01',
        }),
      /\/store\/url: "mysql:\/\/x" is not sqlite/,
    );
  });

  test('serve with migrate: manual refuses a store with pending migrations, naming them, then starts once applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-manual-'));
    const url = `sqlite:${join(dir, 'ledger.db')}`;
    try {
      const config = parseConfig(yaml(`{ url: "${url}", migrate: manual }`), join(dir, 'c.yaml'), {
        S: 'migrate-test-secret-01',
      });
      const logger = createLogger({ level: 'error' });
      const names = loadMigrations('sqlite').map((m) => m.name);
      await assert.rejects(
        startServer(config, { logger, watch: false, outbox: false }),
        new RegExp(
          `migrate is manual and ${names.length} migration\\(s\\) are pending \\(${names.join(', ')}\\)`,
        ),
      );
      const m = await openMigrator(url);
      try {
        assert.deepEqual(
          (await m.status()).map((s) => s.state),
          names.map(() => 'pending'),
          'the refusal applied nothing',
        );
        assert.deepEqual(
          (await m.apply()).map((s) => s.name),
          names,
        );
      } finally {
        await m.close();
      }
      const running = await startServer(config, { logger, watch: false, outbox: false });
      await running.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('status reports an applied migration whose file changed, and one from a newer release', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-status-'));
    const url = `sqlite:${join(dir, 'ledger.db')}`;
    try {
      const m = await openMigrator(url);
      await m.apply();
      await m.close();
      const Database = require('better-sqlite3') as typeof import('better-sqlite3');
      const db = new Database(join(dir, 'ledger.db'));
      db.prepare("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").run();
      db.prepare(
        "INSERT INTO schema_migrations VALUES (9999, '9999_from_the_future', 'abc', '2030-01-01T00:00:00.000Z')",
      ).run();
      db.close();
      const r = await cli('migrate', 'status', '--store', url);
      assert.equal(r.code, 1);
      assert.match(r.out, /^ {2}0001_init +changed /m);
      assert.match(r.out, /^ {2}9999_from_the_future +newer +2030-01-01T00:00:00.000Z +sha256:abc$/m);
      assert.match(r.err, /changed since; the store will refuse to open/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
