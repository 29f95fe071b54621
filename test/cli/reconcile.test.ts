/**
 * `couponbridge reconcile` through the real CLI on a SQLite file: the JSON shape of the issue with
 * figures worked out by hand from test/reconcile/fixture.ts, CSV, the partner filter, and
 * statement files that come out byte for byte the same on a second run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open';
import { projectRoot } from '../../src/util/paths';
import { fillMarch } from '../reconcile/fixture';

const dir = mkdtempSync(join(tmpdir(), 'cb-reconcile-cli-'));
const db = join(dir, 'ledger.db');
const main = join(projectRoot(), 'src/cli/main.ts');
const args = (...extra: string[]) => [
  '--import',
  'tsx',
  main,
  'reconcile',
  '--store',
  `sqlite:${db}`,
  '--from',
  '2025-03-01',
  '--to',
  '2025-03-31',
  ...extra,
];
const cli = (...extra: string[]): string =>
  execFileSync(process.execPath, args(...extra), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

before(async () => {
  const store = await openStore(`sqlite:${db}`);
  await fillMarch(store);
  await store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('couponbridge reconcile', () => {
  test('prints the statement as JSON when stdout is not a terminal', () => {
    const s = JSON.parse(cli());
    assert.deepEqual(Object.keys(s), ['from', 'to', 'partners', 'discrepancies']);
    const sp1 = {
      claimed: 3,
      redeemed: 3,
      expired: 0,
      invalidated: 0,
      refunded: 1,
      claimed_value_fen: 1000,
      redeemed_value_fen: 1000,
      refunded_value_fen: 500,
    };
    assert.deepEqual(s.partners, [{ partner: 'sp-1', ...sp1, stocks: [{ stock_id: 'stock-a', ...sp1 }] }]);
    assert.deepEqual(
      s.discrepancies.map((d: { kind: string }) => d.kind),
      ['value_unknown', 'value_unknown'],
    );
  });

  test('prints one CSV row per partner and stock, a table on request, nothing for another partner', () => {
    assert.equal(
      cli('--format', 'csv'),
      'from,to,partner,stock_id,claimed,redeemed,expired,invalidated,refunded,claimed_value_fen,redeemed_value_fen,refunded_value_fen\n' +
        '2025-03-01,2025-03-31,sp-1,stock-a,3,3,0,0,1,1000,1000,500\n',
    );
    const table = cli('--format', 'table').split('\n');
    assert.equal(table[0], 'Settlement 2025-03-01 – 2025-03-31 (Asia/Shanghai, inclusive); values in 分');
    assert.match(table[3], /^sp-1\s+\(all\)\s+3\s+3\s+0\s+0\s+1\s+1000\s+1000\s+500$/);
    assert.deepEqual(JSON.parse(cli('--partner', 'sp-2')), {
      from: '2025-03-01',
      to: '2025-03-31',
      partners: [],
      discrepancies: [],
    });
  });

  test('writes the same statement files twice, byte for byte', () => {
    const out = join(dir, 'statements');
    cli('--out', out);
    const files = readdirSync(out).sort();
    assert.deepEqual(files, ['sp-1_2025-03-01_2025-03-31.csv', 'sp-1_2025-03-01_2025-03-31.json']);
    const first = files.map((f) => readFileSync(join(out, f)));
    cli('--out', out);
    assert.deepEqual(
      readdirSync(out)
        .sort()
        .map((f) => readFileSync(join(out, f))),
      first,
    );
  });

  test('refuses an unknown format in one line', () => {
    const bad = spawnSync(process.execPath, args('--format', 'xml'), { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'couponbridge: --format xml: use table, json or csv\n');
  });
});
