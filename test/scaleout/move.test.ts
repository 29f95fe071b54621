/**
 * Moving from SQLite to PostgreSQL (issue 15): couponbridge on a SQLite file takes real traffic —
 * claims, a redeem, a Dianping consume, P云 pushes whose notifications end pending and dead — then
 * `couponbridge export` → `couponbridge import` into a fresh PostgreSQL schema, and couponbridge
 * on PostgreSQL answers a repeated claim from its moved idempotency record without calling P云,
 * while `ledger show` finds every coupon with its whole history.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { EVENT_PATH, signedPyunPush } from '../../src/sandbox';
import { openStore } from '../../src/store/open';
import type { CouponRecord, OutboxItem, Transition } from '../../src/store/types';
import { creds, pushedCoupon, startStack, type Stack } from '../support/stack';
import { dianping, parkPosYaml } from '../e2e/dianping-client';
import { pgAvailability, pgSchemaUrl, dropPgSchema } from '../support/pg';

/** A first retry far away: a notification that failed once stays pending for the whole test. */
const extraYaml = `${parkPosYaml}
outbox: { retry_schedule_ms: [600000], jitter: 0, poll_interval_ms: 20, lease_ms: 2000 }`;

interface CliResult {
  out: string;
  err: string;
  code: number;
}

/** Runs couponbridge command lines, in order, in one child process (fixtures/cli-batch.ts). */
function cli(...commands: string[][]): Promise<CliResult[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'cli-batch.ts'), JSON.stringify(commands)],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (e, out, err) =>
        e ? reject(new Error(`${e.message}\n${err}`)) : resolve(JSON.parse(out) as CliResult[]),
    );
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('moving from SQLite to PostgreSQL', async () => {
  const pg = await pgAvailability();
  if (pg.skip) {
    test('SQLite → PostgreSQL move', { skip: pg.skip }, () => undefined);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cb-move-'));
  const sqliteUrl = `sqlite:${join(dir, 'ledger.db')}`;
  const { url: pgUrl, schema } = pgSchemaUrl('cbmove');
  const file = join(dir, 'export.ndjson');
  let stack: Stack;
  const claims: { requestId: string; userCode: string; answer: string }[] = [];
  let source: { coupons: CouponRecord[]; history: Map<string, Transition[]>; outbox: OutboxItem[] };

  const claim = (s: Stack, requestId: string, userCode: string) =>
    s.tencent('/tencent/sp/coupon/receive', {
      app_channel_id: 0,
      user_code: userCode,
      stock_id: 'cb-demo-001',
      request_id: requestId,
      extra: '{"plate":"川A660P1"}',
    });

  const push = (s: Stack, grantSerial: string, code: string) =>
    s.post(
      '/pyun/notify/payment',
      signedPyunPush(
        {
          park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
          park_name: 'P云支付体验-停车场',
          parking_serial: `PK${randomUUID().slice(0, 8)}`,
          pay_serial: `PS${randomUUID().slice(0, 12)}`,
          pay_value: '100',
          pay_time: '1618994563000',
          plate: '川A660P1',
          channel: '200102',
          identity: '5aeV05nlt6/ig4LplITisYg=',
          discounts: '[]',
          mcoupons: JSON.stringify([pushedCoupon(grantSerial, code)]),
        },
        creds.pyunUpstream.app_id,
        creds.pyunUpstream.app_secret,
      ),
      { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    );

  before(async () => {
    stack = await startStack({ store: sqliteUrl, extraYaml });
    const store = stack.running.rt.store;
    for (let i = 0; i < 4; i += 1) {
      const c = { requestId: randomUUID().replace(/-/g, ''), userCode: `u-move-${i}` };
      const res = await claim(stack, c.requestId, c.userCode);
      assert.equal(res.json.code, 0, res.body);
      claims.push({ ...c, answer: res.body });
    }
    const coupon = async (i: number) =>
      (await store.getCoupon({ couponId: JSON.parse(claims[i].answer).data.coupon_id }))!;
    // T1: the first claim's coupon is used.
    const used = await stack.tencent('/tencent/coupon/status/rsync', {
      app_channel_id: 0,
      user_code: claims[0].userCode,
      stock_id: 'cb-demo-001',
      coupon_id: (await coupon(0)).couponId,
      coupon_status: 2,
    });
    assert.equal(used.json.code, 0, used.body);
    // D1: a Dianping consume of a code the ledger did not know.
    const consumed = await dianping(stack, '/dianping/api/coupon/consumeCoupon', {
      couponCode: `DPMOVE${Date.now()}`,
      shopName: '点评停车场',
      consumeTime: 1709259330120,
      orderId: `ORDMOVE${Date.now()}`,
      comments: '搬迁测试',
      orderAmount: '30.00',
      payAmount: '25.00',
      freightFee: '0',
      attributes: JSON.stringify({ table: 'A1' }),
    });
    assert.deepEqual(consumed.json, { status: 'success' }, consumed.body);
    // P1: one notification refused for good (dead), one failed once (pending, retry far away).
    stack.sandbox.fault('tencent', { mode: 'code', code: '400000', times: 1 });
    assert.equal((await push(stack, (await coupon(1)).grantSerial!, 'MV1')).json.code, '1001');
    await until('a dead notification', async () => (await store.listOutbox({ state: 'dead' })).length === 1);
    stack.sandbox.fault('tencent', { mode: 'http', status: 500, times: 1 });
    assert.equal((await push(stack, (await coupon(2)).grantSerial!, 'MV2')).json.code, '1001');
    await until('a pending notification after one failure', async () =>
      (await store.listOutbox({ state: 'pending' })).some((o) => o.attempts === 1),
    );
    await stack.close();

    const s = await openStore(sqliteUrl);
    try {
      const coupons = await s.listCoupons();
      const history = new Map(
        await Promise.all(coupons.map(async (c) => [c.id, await s.history(c.id)] as const)),
      );
      source = { coupons, history, outbox: await s.listOutbox() };
    } finally {
      await s.close();
    }
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropPgSchema(schema);
  });

  test('exports the SQLite store and imports it into PostgreSQL, then refuses a second import', async () => {
    const [exported, imported, again] = await cli(
      ['export', '--store', sqliteUrl, '--out', file, '--journal'],
      ['import', '--store', pgUrl, '--in', file],
      ['import', '--store', pgUrl, '--in', file],
    );
    assert.equal(exported.code, 0, exported.err);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const header = JSON.parse(lines[0]);
    assert.equal(header.type, 'header');
    assert.equal(header.backend, 'sqlite');
    assert.equal(header.format_version, 1);
    assert.equal(JSON.parse(lines[lines.length - 1]).type, 'end');
    assert.equal(imported.code, 0, imported.err);
    assert.match(imported.err, /^imported \d+ rows .* from a sqlite export/);
    assert.equal(again.code, 2);
    assert.match(again.err, /the target store is not empty/);
  });

  test('couponbridge on PostgreSQL answers a repeated claim from the moved record, without P云', async () => {
    const pgStack = await startStack({ store: pgUrl, extraYaml });
    try {
      for (const c of claims) {
        const again = await claim(pgStack, c.requestId, c.userCode);
        assert.equal(again.body, c.answer, 'the first answer, byte for byte');
      }
      assert.equal(
        pgStack.sandbox.requests({ target: 'pyun', path: EVENT_PATH }).length,
        0,
        'no P云 grant call',
      );
      const store = pgStack.running.rt.store;
      assert.deepEqual(
        (await store.listOutbox({ state: 'dead' })).map((o) => [o.id, o.dedupKey, o.payload]),
        source.outbox.filter((o) => o.state === 'dead').map((o) => [o.id, o.dedupKey, o.payload]),
      );
      assert.equal((await store.listOutbox({ state: 'pending' })).length, 1);
    } finally {
      await pgStack.close();
    }
  });

  test('`ledger show` on PostgreSQL finds every coupon with its whole history', async () => {
    assert.ok(source.coupons.length >= 5, 'four claims and a consume');
    const shown = await cli(
      ...source.coupons.map((c) => ['ledger', 'show', c.couponCode ?? c.couponId ?? c.id, '--store', pgUrl]),
    );
    for (const [i, c] of source.coupons.entries()) {
      const { out, err, code } = shown[i];
      assert.equal(code, 0, err);
      assert.match(out, new RegExp(`^id +${c.id}$`, 'm'));
      assert.match(out, new RegExp(`^state +${c.state}$`, 'm'));
      const history = out.split('history:\n')[1].trim().split('\n');
      assert.deepEqual(
        history.map((l) => l.trim().split('  ')[0]),
        source.history.get(c.id)!.map((t) => t.at.toISOString()),
      );
    }
  });
});
