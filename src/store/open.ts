/**
 * Opens the configured store from its URL and applies pending migrations:
 *   sqlite:./var/couponbridge.db   sqlite:/abs/file.db   sqlite::memory:
 *   sqlite:./var/x.db?synchronous=full&busy_timeout=10000
 *   postgres://user@host:5432/db   postgresql://…?schema=couponbridge
 */
import { sqliteMigrator, type Migrator } from './migrator';
import type { PostgresOptions } from './postgres';
import { openSqlite, type SqliteOptions } from './sqlite';
import type { Store } from './types';

export type OpenStoreOptions = PostgresOptions;

export function parseSqliteUrl(url: string): SqliteOptions {
  const rest = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  if (path === '') throw new Error('store: sqlite URL needs a file path or :memory:');
  const synchronous = params.get('synchronous') ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new Error(`store: sqlite synchronous must be normal or full, not ${synchronous}`);
  }
  const busy = params.get('busy_timeout');
  if (busy !== null && !/^\d+$/.test(busy))
    throw new Error(`store: sqlite busy_timeout must be milliseconds, not ${busy}`);
  return { path, synchronous, busyTimeoutMs: busy === null ? undefined : Number(busy) };
}

// Only the scheme is echoed: the rest of a URL may hold a password.
const unsupported = (url: string): Error =>
  new Error(
    `store: unsupported store URL scheme ${JSON.stringify(url.split(':')[0])} (sqlite: or postgres://)`,
  );

// Loaded only for a PostgreSQL store: the embedded default never pays for `pg` in memory.
const postgres = (): typeof import('./postgres') => require('./postgres') as typeof import('./postgres');

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqlite(parseSqliteUrl(url));
  if (/^postgres(ql)?:\/\//.test(url)) return postgres().openPostgres(url, opts);
  throw unsupported(url);
}

/** Migration status and apply for `couponbridge migrate`, without opening the store itself. */
export async function openMigrator(url: string): Promise<Migrator> {
  if (url.startsWith('sqlite:')) return sqliteMigrator(parseSqliteUrl(url));
  if (/^postgres(ql)?:\/\//.test(url)) return postgres().postgresMigrator(url);
  throw unsupported(url);
}

/** `store.migrate: manual`: refuses to go on while migrations are pending, naming them. */
export async function assertNoPendingMigrations(url: string): Promise<void> {
  const m = await openMigrator(url);
  try {
    const pending = (await m.status()).filter((s) => s.state === 'pending');
    if (pending.length > 0) {
      throw new Error(
        `store.migrate is manual and ${pending.length} migration(s) are pending (${pending
          .map((p) => p.name)
          .join(', ')}): run \`couponbridge migrate apply\` first`,
      );
    }
  } finally {
    await m.close();
  }
}
