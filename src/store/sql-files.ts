/**
 * Reads the SQL artefacts (conventions 9): `sql/<backend>/<area>.sql` files holding statements
 * headed `-- name: <statement>` (looked up as `<area>.<statement>`, e.g. `outbox.claim`), and
 * `migrations/<backend>/NNNN_<name>.sql`, applied in version order. Parameters are written
 * `:name` in both backends; PostgreSQL's `$n` placeholders are derived by `toPositional`.
 *
 * The files sit next to this module under tsx; compiled code looks next to itself first (when the
 * build copies them) and then for a src/store above it, so `dist/` runs from a checkout.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Backend } from './types';

function locate(sub: string): string {
  const candidates = [join(__dirname, sub)];
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    candidates.push(join(dirname(dir), 'src', 'store', sub));
  }
  const found = candidates.find((dir) => existsSync(dir));
  if (!found)
    throw new Error(`store: SQL directory ${sub} not found next to ${__dirname} or in a src/store above it`);
  return found;
}

export type Statements = Record<string, string>;

export function loadStatements(backend: Backend): Statements {
  const dir = locate(join('sql', backend));
  const out: Statements = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    const area = file.slice(0, -'.sql'.length);
    const parts = readFileSync(join(dir, file), 'utf8').split(/^-- name: *(\S+) *$/m);
    for (let i = 1; i < parts.length; i += 2) {
      const text = parts[i + 1]
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n')
        .trim()
        .replace(/;$/, '');
      out[`${area}.${parts[i]}`] = text;
    }
  }
  return out;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(backend: Backend): Migration[] {
  const dir = locate(join('migrations', backend));
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return {
        version: Number(f.slice(0, 4)),
        name: f.slice(0, -'.sql'.length),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/** `:name` → `$n` (a repeated name reuses its number); `::type` casts are left alone. */
export function toPositional(text: string): { text: string; names: string[] } {
  const names: string[] = [];
  const out = text.replace(/(?<![:\w]):([a-z_][a-z0-9_]*)/gi, (_m, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text: out, names };
}

/** Applied migrations must not change: the schema only moves forward through new files. */
export function checkApplied(
  migrations: Migration[],
  applied: { version: number; checksum: string }[],
): void {
  for (const a of applied) {
    const m = migrations.find((x) => x.version === a.version);
    if (m && m.checksum !== a.checksum) {
      throw new Error(
        `store: migration ${m.name} was changed after it was applied; add a new migration instead`,
      );
    }
  }
}
