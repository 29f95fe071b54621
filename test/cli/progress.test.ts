/**
 * Progress on long CLI work: on a terminal (a pseudo-terminal from util-linux `script`) `ledger
 * export` draws its progress on stderr; piped, stdout is the CSV alone and stderr only the
 * summary, without control characters. `outbox replay --all-dead` counts every dead row.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open';
import { projectRoot } from '../../src/util/paths';

const db = join(mkdtempSync(join(tmpdir(), 'cb-progress-')), 'cb.db');
const cliArgs = ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts')];

before(async () => {
  const store = await openStore(`sqlite:${db}`);
  for (let i = 0; i < 3; i++) {
    await store.upsertCoupon(
      { id: `p:${i}`, stockId: 'cb-demo-001', partner: 'sp', couponId: `P${i}`, state: 'available' },
      { actor: 'test', at: new Date() },
    );
  }
  await store.close();
});

describe('CLI progress', () => {
  test('piped: stdout is the CSV only; the summary goes to stderr, no progress drawn', () => {
    const r = spawnSync(process.execPath, [...cliArgs, 'ledger', 'export', '--store', `sqlite:${db}`], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 4, 'header + 3 coupons');
    assert.equal(r.stderr, 'exported 3 coupons\n');
  });

  test('on a terminal: progress is drawn, then the summary', () => {
    const cmd = [process.execPath, ...cliArgs, 'ledger', 'export', '--store', `sqlite:${db}`]
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /export \d+ rows/, 'the progress line');
    assert.match(r.stdout, /exported 3 coupons/);
  });
});
