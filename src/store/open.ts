/**
 * Opens the configured store from its URL and applies pending migrations:
 *   sqlite:./var/couponbridge.db   sqlite:/abs/file.db   sqlite::memory:
 *   sqlite:./var/x.db?synchronous=full&busy_timeout=10000
 *   postgres://user@host:5432/db   postgresql://…?schema=couponbridge
 */
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

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqlite(parseSqliteUrl(url));
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Loaded only for a PostgreSQL store: the embedded default never pays for `pg` in memory.
    const { openPostgres } = require('./postgres') as typeof import('./postgres');
    return openPostgres(url, opts);
  }
  // Only the scheme is echoed: the rest of a URL may hold a password.
  throw new Error(
    `store: unsupported store URL scheme ${JSON.stringify(url.split(':')[0])} (sqlite: or postgres://)`,
  );
}
