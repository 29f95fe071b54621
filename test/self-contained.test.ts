// A user's clone has nothing beside it: no file the product, its tests or its scripts run may
// reach outside the repository for the design folder (`../shared`). The fixtures live in
// test/fixtures/. This scans the source text for a path that climbs out of the repository root to
// a sibling `shared` folder, in either the joined-string or the path-segment spelling.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..');
const FOLDERS = ['src', 'test', 'scripts', 'bench', 'bin'];
const CLIMB = [/(\.\.\/){2,}shared\b/, /'\.\.',\s*'\.\.',\s*'\.\.',\s*'shared'/];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'results') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mjs|js|cjs|sh)$/.test(name)) yield path;
  }
}

test('no source, test or script file reads the sibling shared folder', () => {
  const offenders: string[] = [];
  for (const folder of FOLDERS) {
    for (const file of files(join(root, folder))) {
      if (file === __filename) continue;
      const text = readFileSync(file, 'utf8');
      // `../shared/…` one level up is the dialects' own shared folder; only a climb out of the repo counts.
      const hit = text
        .split('\n')
        .findIndex((line) => CLIMB.some((re) => re.test(line) && climbsOut(file, line)));
      if (hit >= 0) offenders.push(`${relative(root, file)}:${hit + 1}`);
    }
  }
  assert.deepEqual(offenders, []);
});

/** Whether the `../` run on this line, resolved from the file's folder, leaves the repository. */
function climbsOut(file: string, line: string): boolean {
  const ups = (line.match(/(\.\.\/)+shared/)?.[0].match(/\.\.\//g) ?? []).length || 3;
  const depth = relative(root, file).split('/').length - 1;
  return ups > depth;
}
