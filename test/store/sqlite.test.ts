import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, parseSqliteUrl } from '../../src/store/open';
import { runStoreContract, type TestDatabase } from './contract';
import { assertSchemaSnapshot } from './snapshot';

async function newDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-store-'));
  const url = `sqlite:${join(dir, 'nested', 'ledger.db')}`;
  return { open: () => openStore(url), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

runStoreContract('sqlite', newDatabase);

describe('sqlite store', () => {
  test('creates the parent directory and runs the file in WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-store-'));
    try {
      const file = join(dir, 'a', 'b', 'ledger.db');
      const store = await openStore(`sqlite:${file}`);
      await store.close();
      assert.ok(existsSync(file));
      const raw = new Database(file, { readonly: true });
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      raw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('matches the schema snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-store-'));
    try {
      const file = join(dir, 'ledger.db');
      await (await openStore(`sqlite:${file}`)).close();
      const raw = new Database(file, { readonly: true });
      const lines: string[] = [];
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[];
      for (const { name } of tables) {
        const cols = raw.prepare(`PRAGMA table_info(${name})`).all() as {
          name: string;
          type: string;
          notnull: number;
          pk: number;
        }[];
        for (const c of cols) {
          lines.push(
            `column ${name}.${c.name} ${c.type}${c.notnull ? ' not null' : ''}${c.pk ? ` pk${c.pk}` : ''}`,
          );
        }
        const indexes = raw.prepare(`PRAGMA index_list(${name})`).all() as {
          name: string;
          unique: number;
          partial: number;
        }[];
        for (const i of indexes) {
          const cols = (raw.prepare(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map(
            (c) => c.name,
          );
          const label = i.name.startsWith('sqlite_') ? '' : ` ${i.name}`;
          lines.push(
            `index ${name}${label} (${cols.join(', ')})${i.unique ? ' unique' : ''}${i.partial ? ' partial' : ''}`,
          );
        }
      }
      raw.close();
      assertSchemaSnapshot('sqlite', lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses to open a database whose applied migration was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-store-'));
    try {
      const file = join(dir, 'ledger.db');
      await (await openStore(`sqlite:${file}`)).close();
      const raw = new Database(file);
      raw.prepare("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").run();
      raw.close();
      await assert.rejects(openStore(`sqlite:${file}`), /0001_init was changed after it was applied/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reads a path, :memory: and the durability options from the URL', () => {
    assert.deepEqual(parseSqliteUrl('sqlite:./var/x.db'), {
      path: './var/x.db',
      synchronous: 'normal',
      busyTimeoutMs: undefined,
    });
    assert.deepEqual(parseSqliteUrl('sqlite::memory:'), {
      path: ':memory:',
      synchronous: 'normal',
      busyTimeoutMs: undefined,
    });
    assert.deepEqual(parseSqliteUrl('sqlite:///srv/cb.db?synchronous=full&busy_timeout=10000'), {
      path: '/srv/cb.db',
      synchronous: 'full',
      busyTimeoutMs: 10000,
    });
    assert.throws(() => parseSqliteUrl('sqlite:'), /file path/);
    assert.throws(() => parseSqliteUrl('sqlite:x.db?synchronous=off'), /normal or full/);
    assert.throws(() => parseSqliteUrl('sqlite:x.db?busy_timeout=soon'), /milliseconds/);
  });

  test('refuses an unknown store URL without echoing the rest of it', async () => {
    await assert.rejects(openStore('mysql://admin:s3cret@db/ledger'), (e: Error) => {
      assert.match(e.message, /unsupported store URL scheme "mysql"/);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });
  });
});

describe('sqlite store across processes', () => {
  test('reserves exactly 50 of 200 claims and begins one key once when four processes share the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-store-'));
    try {
      const url = `sqlite:${join(dir, 'ledger.db')}`;
      await (await openStore(url)).close();
      const worker = join(__dirname, 'fixtures', 'race-worker.ts');
      const startAt = String(Date.now() + 1500);
      const outputs = await Promise.all(
        ['a', 'b', 'c', 'd'].map(
          (name) =>
            new Promise<string[]>((resolve, reject) => {
              execFile(
                process.execPath,
                ['--import', 'tsx', worker, url, name, startAt],
                (err, stdout, stderr) =>
                  err
                    ? reject(new Error(`${err.message}\n${stderr}`))
                    : resolve(JSON.parse(stdout) as string[]),
              );
            }),
        ),
      );
      const all = outputs.flat();
      assert.equal(all.filter((r) => r === 'reserved').length, 50);
      assert.equal(all.filter((r) => r === 'quota_exhausted').length, 150);
      assert.equal(all.filter((r) => r === 'idem-new').length, 1);
      const store = await openStore(url);
      assert.equal((await store.stockCounts('stock-1')).issued, 50);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
