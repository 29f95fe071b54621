/**
 * The statement from a ledger: Asia/Shanghai periods, per-partner and per-stock totals, the
 * discrepancies that need only the store (overdue notifications, unknown values), and the text
 * forms (CSV, statement files written twice byte for byte).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';
import { buildStatement, monthOf, periodOf, type ReconcileOptions } from '../../src/reconcile/statement';
import { toCsv, writeStatementFiles } from '../../src/reconcile/format';
import { fillMarch } from './fixture';

describe('periodOf', () => {
  test('turns Shanghai calendar days, both inclusive, into a half-open UTC period', () => {
    const p = periodOf('2025-03-01', '2025-03-31');
    assert.equal(p.from.toISOString(), '2025-02-28T16:00:00.000Z');
    assert.equal(p.to.toISOString(), '2025-03-31T16:00:00.000Z');
    assert.equal(periodOf('2025-03-05', '2025-03-05').to.toISOString(), '2025-03-05T16:00:00.000Z');
  });

  test('names the Shanghai month of an instant, February of a leap year and the UTC evening included', () => {
    assert.deepEqual(monthOf(new Date('2024-02-10T00:00:00.000Z')), { from: '2024-02-01', to: '2024-02-29' });
    assert.deepEqual(monthOf(new Date('2025-03-31T16:00:00.000Z')), { from: '2025-04-01', to: '2025-04-30' });
    assert.deepEqual(monthOf(new Date('2025-12-31T15:59:59.999Z')), { from: '2025-12-01', to: '2025-12-31' });
  });

  test('refuses dates that are not calendar days, and a period that ends before it starts', () => {
    assert.throws(() => periodOf('2025-02-29', '2025-03-01'), /--from "2025-02-29" is not a calendar date/);
    assert.throws(() => periodOf('2025-03-01', '3/31'), /--to "3\/31" is not a calendar date/);
    assert.throws(() => periodOf('2025-03-02', '2025-03-01'), /--to 2025-03-01 is before --from 2025-03-02/);
  });
});

describe('buildStatement', () => {
  let dir: string;
  let store: Store;
  const march = (over: Partial<ReconcileOptions> = {}): ReconcileOptions => ({
    from: '2025-03-01',
    to: '2025-03-31',
    now: new Date('2025-04-02T00:00:00.000Z'),
    graceMs: 15 * 60_000,
    idempotencyKeptSince: new Date('2025-03-01T00:00:00.000Z'),
    claimRoute: 'tencent.sp-coupon-receive',
    ...over,
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-reconcile-'));
    store = await openStore(`sqlite:${join(dir, 'ledger.db')}`);
    await fillMarch(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('totals March per partner and stock, in 分, with the Shanghai month boundary', async () => {
    const s = await buildStatement(store, march());
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
      s.discrepancies.map((d) => [d.kind, d.partner, d.ref, d.at]),
      [
        ['value_unknown', 'sp-1', 'stock-a', '2025-03-01T00:00:00.000+08:00'],
        ['value_unknown', 'sp-1', 'stock-a', '2025-03-01T00:00:00.000+08:00'],
      ],
    );
    assert.match(s.discrepancies[0].detail, /^1 of 3 claimed coupon\(s\) of stock stock-a have no value/);
    assert.match(s.discrepancies[1].detail, /^1 of 3 redeemed coupon\(s\)/);
    const april = await buildStatement(store, march({ from: '2025-04-01', to: '2025-04-30' }));
    assert.deepEqual(
      april.partners.map((p) => [p.partner, p.claimed, p.claimed_value_fen, p.redeemed]),
      [['sp-1', 1, 500, 0]],
    );
  });

  test('lists a used coupon’s notification pending past its schedule, with the exchanges to trace', async () => {
    await store.enqueue(
      [
        {
          kind: 'tencent.coupon_status_rsync',
          v: 1,
          destination: 'tencent',
          dedupKey: 'seq-a2',
          payload: { coupon_id: 'C-a2', coupon_status: 2 },
        },
        {
          kind: 'tencent.coupon_status_rsync',
          v: 1,
          destination: 'tencent',
          dedupKey: 'seq-a3',
          payload: { coupon_id: 'C-a3', coupon_status: 2 },
          notBefore: new Date('2025-04-01T23:50:00.000Z'),
        },
      ],
      new Date('2025-03-12T02:00:00.000Z'),
    );
    const s = await buildStatement(store, march());
    const late = s.discrepancies.filter((d) => d.kind === 'notification_overdue');
    assert.deepEqual(
      late.map((d) => [d.partner, d.ref, d.at, d.exchange_ids]),
      [['sp-1', 'outbox:1', '2025-03-12T10:00:00.000+08:00', ['x-a2', 'x-push']]],
    );
    assert.equal(
      late[0].detail,
      'tencent.coupon_status_rsync@1 to tencent (dedup seq-a2) pending, due 2025-03-12T10:00:00.000+08:00, 0 attempt(s); coupons: C-a2 (used)',
    );
    assert.deepEqual(
      (await buildStatement(store, march({ partner: 'sp-2' }))).discrepancies,
      [],
      'another partner sees none of it',
    );
  });

  test('writes CSV rows per partner and stock, and the same statement files byte for byte twice', async () => {
    const s = await buildStatement(store, march());
    assert.equal(
      toCsv(s),
      [
        'from,to,partner,stock_id,claimed,redeemed,expired,invalidated,refunded,claimed_value_fen,redeemed_value_fen,refunded_value_fen',
        '2025-03-01,2025-03-31,sp-1,stock-a,3,3,0,0,1,1000,1000,500',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const first = writeStatementFiles(out, s);
    const bytes = first.map((f) => readFileSync(f));
    const again = writeStatementFiles(out, await buildStatement(store, march()));
    assert.deepEqual(again, first);
    assert.deepEqual(
      again.map((f) => readFileSync(f)),
      bytes,
    );
    assert.deepEqual(readdirSync(out).sort(), [
      'sp-1_2025-03-01_2025-03-31.csv',
      'sp-1_2025-03-01_2025-03-31.json',
    ]);
    const csv = readFileSync(join(out, 'sp-1_2025-03-01_2025-03-31.csv'), 'utf8').split('\n');
    assert.deepEqual(csv.slice(0, 5), [
      'partner,from,to,claimed,redeemed,expired,invalidated,refunded,claimed_value_fen,redeemed_value_fen,refunded_value_fen',
      'sp-1,2025-03-01,2025-03-31,3,3,0,0,1,1000,1000,500',
      '',
      'stock_id,claimed,redeemed,expired,invalidated,refunded,claimed_value_fen,redeemed_value_fen,refunded_value_fen',
      'stock-a,3,3,0,0,1,1000,1000,500',
    ]);
    const json = JSON.parse(readFileSync(join(out, 'sp-1_2025-03-01_2025-03-31.json'), 'utf8'));
    assert.deepEqual(Object.keys(json), [
      'from',
      'to',
      'partner',
      'claimed',
      'redeemed',
      'expired',
      'invalidated',
      'refunded',
      'claimed_value_fen',
      'redeemed_value_fen',
      'refunded_value_fen',
      'stocks',
      'discrepancies',
    ]);
    assert.equal(json.discrepancies.length, 2);
  });
});
