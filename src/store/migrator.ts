/**
 * Schema migrations as an operation of their own (`couponbridge migrate status|apply`, and
 * `store.migrate` of `serve`): which of the shipped forward-only migrations are applied, with
 * their checksums, and applying the pending ones safely while other instances start too.
 *
 * - SQLite: the whole run is one `BEGIN IMMEDIATE` transaction: the write lock is taken before the
 *   applied list is read, so a second process waits (busy_timeout) and then finds nothing to do.
 * - PostgreSQL: one transaction holding a transaction-level advisory lock per schema; DDL is
 *   transactional, so a failed migration leaves nothing half-applied.
 *
 * A migrator needs no table to exist (the stores prepare their statements at open), so it can
 * report on a fresh database without touching it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { storeFailure } from './failures';
import { checkApplied, loadMigrations, loadStatements, type Migration } from './sql-files';
import type { Backend, SqliteOptions } from './types';

/**
 * `applied`: recorded and unchanged; `pending`: shipped, not yet applied; `changed`: applied, but
 * the shipped file differs (the store refuses to open); `newer`: applied by a newer release this
 * one does not know (a rolling upgrade in progress).
 */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'newer';

export interface MigrationStatus {
  version: number;
  name: string;
  /** sha256 of the file as shipped (`newer`: as recorded). */
  checksum: string;
  state: MigrationState;
  appliedAt?: Date;
}

export interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface Migrator {
  readonly backend: Backend;
  status(): Promise<MigrationStatus[]>;
  /** Applies the pending migrations, serialised across processes; returns the ones applied by this call. */
  apply(): Promise<MigrationStatus[]>;
  close(): Promise<void>;
}

export function describeMigrations(shipped: Migration[], applied: AppliedRow[]): MigrationStatus[] {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const out: MigrationStatus[] = shipped.map((m) => {
    const a = byVersion.get(m.version);
    if (!a) return { version: m.version, name: m.name, checksum: m.checksum, state: 'pending' };
    const state = a.checksum === m.checksum ? 'applied' : 'changed';
    return { version: m.version, name: m.name, checksum: m.checksum, state, appliedAt: a.appliedAt };
  });
  const known = new Set(shipped.map((m) => m.version));
  for (const a of applied.filter((x) => !known.has(x.version))) {
    out.push({
      version: a.version,
      name: a.name,
      checksum: a.checksum,
      state: 'newer',
      appliedAt: a.appliedAt,
    });
  }
  return out.sort((x, y) => x.version - y.version);
}

export const appliedRow = (r: Record<string, unknown>): AppliedRow => ({
  version: Number(r.version),
  name: String(r.name),
  checksum: String(r.checksum),
  appliedAt: new Date(r.applied_at as string | Date),
});

// ——— SQLite ———

function sqliteApplied(db: Database.Database): AppliedRow[] {
  const sql = loadStatements('sqlite');
  const present = db.prepare(sql['meta.has_migrations']).get() as { n: number };
  if (present.n === 0) return [];
  return (db.prepare(sql['meta.applied']).all() as Record<string, unknown>[]).map(appliedRow);
}

/** Applies pending SQLite migrations in one BEGIN IMMEDIATE transaction; returns those applied. */
export function applySqliteMigrations(db: Database.Database): Migration[] {
  const sql = loadStatements('sqlite');
  const migrations = loadMigrations('sqlite');
  return db
    .transaction(() => {
      db.exec(sql['meta.create_migrations']);
      const applied = sqliteApplied(db);
      checkApplied(migrations, applied);
      const done = new Set(applied.map((a) => a.version));
      const record = db.prepare(sql['meta.record_migration']);
      const pending = migrations.filter((x) => !done.has(x.version));
      for (const m of pending) {
        db.exec(m.sql);
        record.run({ version: m.version, name: m.name, checksum: m.checksum, now: new Date().toISOString() });
      }
      return pending;
    })
    .immediate();
}

export function sqliteMigrator(opts: SqliteOptions): Migrator {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
  const guard = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(storeFailure(e));
    }
  };
  return {
    backend: 'sqlite',
    status: () => guard(() => describeMigrations(loadMigrations('sqlite'), sqliteApplied(db))),
    apply: () =>
      guard(() => {
        db.pragma('journal_mode = WAL');
        const now = applySqliteMigrations(db);
        const status = describeMigrations(loadMigrations('sqlite'), sqliteApplied(db));
        return status.filter((s) => now.some((m) => m.version === s.version));
      }),
    close: async () => {
      if (db.open) db.close();
    },
  };
}
