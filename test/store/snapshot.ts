/**
 * Schema snapshots: one line per table column and per index, compared with a committed file so a
 * migration change is always deliberate. `UPDATE_SNAPSHOTS=1` rewrites the file instead.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function assertSchemaSnapshot(backend: string, lines: string[]): void {
  const file = join(__dirname, 'snapshots', `${backend}.schema.txt`);
  const actual = `${[...lines].sort().join('\n')}\n`;
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `${file} is missing; create it with UPDATE_SNAPSHOTS=1`);
  assert.equal(
    actual,
    readFileSync(file, 'utf8'),
    'the schema changed: if deliberate, rerun with UPDATE_SNAPSHOTS=1',
  );
}
