/**
 * `couponbridge outbox list|show|replay|purge` through the real CLI on a SQLite file holding a
 * pending, a dead, an old delivered and a recent delivered row.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';
import { projectRoot } from '../../src/util/paths';
import { couponUsed } from './rig';

const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'cb-outbox-cli-')), 'cb.db')}`;
let store: Store;
const ids = { pending: '', dead: '', oldDelivered: '', newDelivered: '' };

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'outbox', ...args, '--store', url],
    { encoding: 'utf8' },
  );
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function add(destination: string): Promise<string> {
  const item = couponUsed(destination);
  await store.enqueue([item], new Date(Date.now() - 60_000));
  return (await store.listOutbox({ destination }))[0].id;
}

async function claim(id: string): Promise<void> {
  const got = await store.claimDue({
    now: new Date(),
    limit: 10,
    leaseMs: 60_000,
    workerId: 'cli-test',
    perDestinationLimit: 10,
  });
  assert.ok(got.some((g) => g.id === id));
}

before(async () => {
  store = await openStore(url);
  ids.oldDelivered = await add('tx-old');
  await claim(ids.oldDelivered);
  await store.markDelivered(
    ids.oldDelivered,
    'HTTP 200 code 0 successful (3 ms)',
    new Date(Date.now() - 10 * 86_400_000),
  );
  ids.newDelivered = await add('tx-new');
  await claim(ids.newDelivered);
  await store.markDelivered(ids.newDelivered, 'HTTP 200 code 0 successful (2 ms)');
  ids.dead = await add('tx-dead');
  await claim(ids.dead);
  await store.markFailed(ids.dead, 'Tencent 400005 signature: 签名校验失败', null, { workerId: 'cli-test' });
  ids.pending = await add('tx-pending');
});
after(() => store.close());

describe('couponbridge outbox', () => {
  test('list shows every row oldest first, and filters by state', () => {
    const all = cli('list');
    assert.equal(all.code, 0, all.err);
    const lines = all.out.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(
      lines[0],
      new RegExp(`^ *${ids.oldDelivered} delivered +tencent\\.coupon_status_rsync@1 +tx-old`),
    );
    const dead = cli('list', '--state', 'dead').out.trim().split('\n');
    assert.equal(dead.length, 1);
    assert.match(dead[0], /dead .*attempts 1 +dead — Tencent 400005 signature: 签名校验失败/);
    assert.equal(cli('list', '--limit', '2').out.trim().split('\n').length, 2);
    assert.match(
      cli('list', '--state', 'lost').err,
      /--state must be one of pending, leased, delivered, dead/,
    );
  });

  test('show prints the row, its last error and the payload pretty-printed', () => {
    const r = cli('show', ids.dead);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^id +\d+\nkind +tencent\.coupon_status_rsync@1\ndestination +tx-dead\n/);
    assert.match(r.out, /\nstate +dead\nattempts +1\n/);
    assert.match(r.out, /\nlast_error +Tencent 400005 signature: 签名校验失败\n/);
    assert.match(r.out, /\npayload:\n {2}\{\n {4}"app_channel_id": 0,\n/);
    const missing = cli('show', '99999');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no outbox row 99999/);
  });

  test('replay makes a dead row due now with a fresh attempt count; a delivered one is refused', async () => {
    const r = cli('replay', ids.dead);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(`replayed ${ids.dead} \\(tencent\\.coupon_status_rsync@1 to tx-dead\\): due now`),
    );
    const row = (await store.getOutbox(ids.dead))!;
    assert.equal(row.state, 'pending');
    assert.equal(row.attempts, 0);
    assert.ok(row.nextAttemptAt.getTime() <= Date.now());
    const refused = cli('replay', ids.newDelivered);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /is delivered; only dead or pending rows are replayed/);
    assert.match(cli('replay').err, /give either a row id or --all-dead/);
  });

  test('replay --all-dead replays every dead row', async () => {
    await claim(ids.dead);
    await store.markFailed(ids.dead, 'again', null, { workerId: 'cli-test' });
    const r = cli('replay', '--all-dead');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^replayed 1 dead rows/);
    assert.equal((await store.getOutbox(ids.dead))!.state, 'pending');
  });

  test('purge deletes only delivered rows older than asked, and prints the count', async () => {
    assert.match(cli('purge', '--older-than', 'soon').err, /"soon" is not a duration/);
    const r = cli('purge', '--older-than', '7d');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^purged 1 delivered rows \(delivered before /);
    assert.equal(await store.getOutbox(ids.oldDelivered), undefined);
    for (const id of [ids.newDelivered, ids.dead, ids.pending]) assert.ok(await store.getOutbox(id), id);
  });
});
