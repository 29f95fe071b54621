/**
 * The console's Settlement page and /console/api/settlement over HTTP: real traffic of the current
 * month (Tencent claims, a status-sync redemption, a T4 expiry, a P云 payment push whose Tencent
 * notification dies, a Dianping consume and its refund, a push naming an unknown coupon, a legacy
 * redemption P云 answers 1403) and the March 2025 fixture of the reconcile tests; figures written by
 * hand. Also the month helpers, and that the statement's queries give the event loop its turns.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Runtime } from '../../src/runtime';
import type { Store } from '../../src/store/types';
import { monthDays, settlementSource, shiftMonth, yieldingStore } from '../../src/console/settlement';
import {
  claimCoupon,
  deactivateCoupon,
  fastOutboxYaml,
  pushPayment,
  startStack,
  statusSyncFields as statusSync,
  type Stack,
} from '../support/stack';
import { dianping, parkPos, parkPosYaml, uniq } from '../e2e/dianping-client';
import { fillMarch } from '../reconcile/fixture';

const TOKEN = 'console-token-for-settlement-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const STATUS = '/tencent/coupon/status/rsync';
let stack: Stack;
const refs: Record<string, string> = {};

async function get(path: string, headers: Record<string, string> = auth) {
  const r = await request(`${stack.url}${path}`, { headers });
  const body = await r.body.text();
  return { status: r.statusCode, headers: r.headers, body, json: () => JSON.parse(body) };
}

/** The text of each cell of each body row of the table with this id. */
function rows(page: string, id: string): string[][] {
  const t = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(page);
  assert.ok(t, `table #${id} is on the page`);
  const body = t[1].split('<tbody>')[1];
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

/** The Shanghai month now, worked out here rather than by the code under test. */
function shanghaiMonthNow(): { month: string; from: string; to: string } {
  const local = new Date(Date.now() + 8 * 3_600_000);
  const month = local.toISOString().slice(0, 7);
  const days = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
  return { month, from: `${month}-01`, to: `${month}-${days}` };
}

const totals = (o: Partial<Record<string, number>>) => ({
  claimed: 0,
  redeemed: 0,
  expired: 0,
  invalidated: 0,
  refunded: 0,
  claimed_value_fen: 0,
  redeemed_value_fen: 0,
  refunded_value_fen: 0,
  ...o,
});
// sp-test: three claims of cb-demo-001 at 500 分; c1 redeemed by a status sync, c3 by a P1 push
// (the actor is P云, the coupon sp-test's); c2 expired by T4.
const sp = totals({ claimed: 3, claimed_value_fen: 1500, redeemed: 2, redeemed_value_fen: 1000, expired: 1 });
// pos-park: order O1 consumes two codes unknown to the ledger: 20 − 15.5 = 4.50 元 → 225 + 225 分,
// then the order is refunded.
const pos = totals({ redeemed: 2, redeemed_value_fen: 450, refunded: 2, refunded_value_fen: 450 });
// The March 2025 fixture (test/reconcile/fixture.ts), by hand there.
const sp1 = totals({
  claimed: 3,
  redeemed: 3,
  refunded: 1,
  claimed_value_fen: 1000,
  redeemed_value_fen: 1000,
  refunded_value_fen: 500,
});

before(async () => {
  stack = await startStack({
    extraYaml: `${parkPosYaml}\ngrant_serial_fallback: coupon_id\n${fastOutboxYaml}\nconsole: { token: ${TOKEN} }`,
  });
  const store = stack.running.rt.store;
  await fillMarch(store);

  const [c1, c2, c3] = [
    await claimCoupon(stack, 'u-1'),
    await claimCoupon(stack, 'u-2'),
    await claimCoupon(stack, 'u-3'),
  ];
  assert.equal((await stack.tencent(STATUS, statusSync(c1.couponId, 2, 'u-1'))).json.code, 0);
  await deactivateCoupon(stack, c2.couponId, 'u-2');
  // c3 redeemed at the gate; Tencent refuses its notification for good: a dead letter
  stack.sandbox.fault('tencent', { mode: 'code', code: '400000', message: '参数错误', times: 1 });
  assert.equal(
    (await pushPayment(stack, `PS${randomUUID().slice(0, 12)}`, c3.grantSerial)).json?.code,
    '1001',
  );
  for (let i = 0; (await store.listOutbox({ state: 'dead' })).length === 0; i++) {
    assert.ok(i < 400, 'the notification died');
    await new Promise((r) => setTimeout(r, 25));
  }

  const o1 = uniq('O1');
  const consumed = await dianping(stack, '/dianping/api/coupon/consumeCoupon', {
    couponCode: JSON.stringify([uniq('N1'), uniq('N2')]),
    orderId: o1,
    shopName: '点评停车场',
    consumeTime: 1709259330120,
    orderAmount: '20',
    payAmount: '15.5',
    freightFee: '0',
    attributes: JSON.stringify({ table: 'A1' }),
  });
  assert.deepEqual(consumed.json, { status: 'success' }, consumed.body);
  const refund = await dianping(stack, '/dianping/api/coupon/consumeCouponOrder', {
    orderId: o1,
    shopName: '点评停车场',
    consumeTime: 1709259330120,
    payAmount: '15.5',
  });
  assert.deepEqual(refund.json, { status: 'success' }, refund.body);

  // a push naming a coupon nobody issued
  refs.ghost = `GHOST${randomUUID().slice(0, 8)}`;
  assert.equal((await pushPayment(stack, `PS${randomUUID().slice(0, 12)}`, refs.ghost)).json?.code, '1001');
  // a legacy coupon the ledger never registered, redeemed twice: P云 answers the second 1403
  refs.dup = `L${randomUUID().slice(0, 8)}`;
  assert.equal((await stack.tencent(STATUS, statusSync(refs.dup, 2))).json.code, 0);
  assert.equal((await stack.tencent(STATUS, statusSync(refs.dup, 2))).json.code, 0);
  refs.dead = `outbox:${(await store.listOutbox({ state: 'dead' }))[0].id}`;
  // anomalies are stored with their journal records, off the request path
  await stack.running.rt.journal.drain();
});
after(async () => {
  await stack?.close();
});

describe('settlement JSON: /console/api/settlement', () => {
  test('without the token, or with a wrong one: 401, and no statement', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { cookie: 'cb_console=forged' },
    ];
    for (const headers of attempts) {
      const r = await get('/console/api/settlement', headers);
      assert.equal(r.status, 401);
      assert.deepEqual(r.json(), { error: 'console token required' });
    }
    const page = await get('/console/settlement', {});
    assert.equal(page.status, 401);
    assert.match(page.body, /name="token"/);
    assert.doesNotMatch(page.body, /settlement-partners|discrepancies/);
  });

  test('the current Shanghai month by default: exact counts and 分 per partner and stock', async () => {
    const now = shanghaiMonthNow();
    const r = await get('/console/api/settlement');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const s = r.json();
    assert.deepEqual(Object.keys(s), ['from', 'to', 'partners', 'discrepancies'], 'reconcile --format json');
    assert.equal(s.from, now.from);
    assert.equal(s.to, now.to);
    assert.deepEqual(s.partners, [
      { partner: parkPos.id, ...pos, stocks: [{ stock_id: 'dianping', ...pos }] },
      { partner: 'sp-test', ...sp, stocks: [{ stock_id: 'cb-demo-001', ...sp }] },
    ]);
    assert.deepEqual((await get(`/console/api/settlement?month=${now.month}`)).json(), s);
  });

  test('the discrepancies, each with exchanges the console can trace', async () => {
    const s = (await get('/console/api/settlement')).json();
    assert.deepEqual(
      s.discrepancies.map((d: { kind: string; partner: string; ref: string }) => [d.kind, d.partner, d.ref]),
      [
        ['notification_dead', 'sp-test', refs.dead],
        ['push_unknown_coupon', 'pyun', refs.ghost],
        ['redeem_duplicate', 'sp-test', refs.dup],
      ],
    );
    assert.match(s.discrepancies[0].detail, /tencent\.coupon_status_rsync@1 .* dead after 1 attempt/);
    assert.equal(s.discrepancies[2].detail, 'P云 1403 重复核销');
    for (const d of s.discrepancies) {
      assert.ok(d.exchange_ids.length > 0, `${d.kind} names an exchange`);
      for (const id of d.exchange_ids) {
        const trace = await get(`/console/exchanges/${id}`);
        assert.equal(trace.status, 200, `${d.kind}: exchange ${id}`);
        assert.match(trace.body, /id="trace"/);
      }
    }
  });

  test('another month, and one partner', async () => {
    const march = (await get('/console/api/settlement?month=2025-03')).json();
    assert.equal(march.from, '2025-03-01');
    assert.equal(march.to, '2025-03-31');
    assert.deepEqual(march.partners, [
      { partner: 'sp-1', ...sp1, stocks: [{ stock_id: 'stock-a', ...sp1 }] },
    ]);
    assert.deepEqual(
      march.discrepancies.map((d: { kind: string }) => d.kind),
      ['value_unknown', 'value_unknown'],
    );
    const april = (await get('/console/api/settlement?month=2025-04')).json();
    assert.equal(april.to, '2025-04-30');
    assert.deepEqual(
      april.partners.map((p: { partner: string; claimed: number; claimed_value_fen: number }) => [
        p.partner,
        p.claimed,
        p.claimed_value_fen,
      ]),
      [['sp-1', 1, 500]],
      'the claim of 1 April 00:30 in Shanghai, still March in UTC',
    );
    const posOnly = (await get(`/console/api/settlement?partner=${parkPos.id}`)).json();
    assert.deepEqual(posOnly.partners, [
      { partner: parkPos.id, ...pos, stocks: [{ stock_id: 'dianping', ...pos }] },
    ]);
    assert.deepEqual(posOnly.discrepancies, []);
    const pyun = (await get('/console/api/settlement?partner=pyun')).json();
    assert.deepEqual(pyun.partners, []);
    assert.deepEqual(
      pyun.discrepancies.map((d: { kind: string }) => d.kind),
      ['push_unknown_coupon'],
    );
  });

  test('a month that is not YYYY-MM: 400 with the reason', async () => {
    for (const month of ['2025-13', '2025-3', 'march', '2025-03-01']) {
      const r = await get(`/console/api/settlement?month=${month}`);
      assert.equal(r.status, 400, month);
      assert.deepEqual(r.json(), { error: `month "${month}" is not YYYY-MM` });
    }
    const page = await get('/console/settlement?month=2025-13');
    assert.equal(page.status, 400);
    assert.match(page.body, /month &quot;2025-13&quot; is not YYYY-MM/);
  });
});

describe('the Settlement page', () => {
  test('March 2025: totals in 元, per-stock rows, the month picker', async () => {
    const r = await get('/console/settlement?month=2025-03');
    assert.equal(r.status, 200);
    assert.match(r.body, /<h1>Settlement 2025-03<\/h1>/);
    // claimed, claimed 元, redeemed, redeemed 元, expired, invalidated, refunded, refunded 元
    const head = ['3', '10.00', '3', '10.00', '0', '0', '1', '5.00'];
    assert.deepEqual(rows(r.body, 'settlement-partners'), [['sp-1', ...head]]);
    assert.deepEqual(rows(r.body, 'settlement-stocks'), [['sp-1', 'stock-a', ...head]]);
    assert.match(r.body, /<a id="previous-month" href="\/console\/settlement\?month=2025-02">/);
    assert.match(r.body, /<a id="next-month" href="\/console\/settlement\?month=2025-04">/);
    assert.match(r.body, /couponbridge reconcile --from 2025-03-01 --to 2025-03-31/);
    assert.equal(rows(r.body, 'discrepancies').length, 2);
    assert.match(r.body, /<span id="discrepancy-count">2<\/span>/);
  });

  test('the current month: both partners, and each discrepancy linking to its trace', async () => {
    const r = await get('/console/settlement');
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(`<h1>Settlement ${shanghaiMonthNow().month}</h1>`));
    assert.deepEqual(rows(r.body, 'settlement-partners'), [
      [parkPos.id, '0', '0.00', '2', '4.50', '0', '0', '2', '4.50'],
      ['sp-test', '3', '15.00', '2', '10.00', '1', '0', '0', '0.00'],
    ]);
    const d = rows(r.body, 'discrepancies');
    assert.deepEqual(
      d.map((c) => c.slice(0, 3)),
      [
        ['notification_dead', 'sp-test', refs.dead],
        ['push_unknown_coupon', 'pyun', refs.ghost],
        ['redeem_duplicate', 'sp-test', refs.dup],
      ],
    );
    const s = (await get('/console/api/settlement')).json();
    for (const x of s.discrepancies)
      for (const id of x.exchange_ids)
        assert.ok(r.body.includes(`<a href="/console/exchanges/${id}">${id}</a>`), id);
    // the partner filter is kept by the month picker
    const one = await get(`/console/settlement?partner=${parkPos.id}`);
    assert.deepEqual(rows(one.body, 'settlement-partners'), [
      [parkPos.id, '0', '0.00', '2', '4.50', '0', '0', '2', '4.50'],
    ]);
    assert.match(
      one.body,
      new RegExp(`id="next-month" href="/console/settlement\\?month=[0-9-]+&amp;partner=${parkPos.id}"`),
    );
    assert.match(one.body, /id="no-discrepancies"/);
  });

  test('a month without activity says so', async () => {
    const r = await get('/console/settlement?month=2030-01');
    assert.match(r.body, /No ledger transitions in 2030-01\./);
    assert.match(r.body, /id="no-discrepancies"/);
  });
});

describe('month helpers and the statement source', () => {
  test('months move across years, and know their last day', () => {
    assert.equal(shiftMonth('2025-01', -1), '2024-12');
    assert.equal(shiftMonth('2024-12', 1), '2025-01');
    assert.equal(shiftMonth('2025-03', -15), '2023-12');
    assert.deepEqual(monthDays('2024-02'), { from: '2024-02-01', to: '2024-02-29' });
    assert.deepEqual(monthDays('2025-02'), { from: '2025-02-01', to: '2025-02-28' });
    assert.deepEqual(monthDays('2025-12'), { from: '2025-12-01', to: '2025-12-31' });
  });

  test('each store call waits for the event loop to have had a turn', async () => {
    let ticked = false;
    let sawTick: boolean | undefined;
    const fake = { history: () => ((sawTick = ticked), Promise.resolve([])) } as unknown as Store;
    setImmediate(() => (ticked = true));
    await yieldingStore(fake).history('x');
    assert.equal(sawTick, true);
  });

  test('two asks for the same month share one computation; a later ask computes again', async () => {
    const calls: string[] = [];
    const none = (name: string) => () => (calls.push(name), Promise.resolve([]));
    const store = {
      settlementGroups: none('groups'),
      overdueNotifications: none('overdue'),
      listAnomalies: none('anomalies'),
      halfConsumedOrders: none('half'),
      undeliveredClaims: none('claims'),
    } as unknown as Store;
    const statementOf = settlementSource({
      store,
      config: { journal: { max_age_days: 7 } },
    } as unknown as Runtime);
    const [a, b] = [statementOf({ month: '2025-03' }), statementOf({ month: '2025-03' })];
    assert.equal(a, b);
    const other = statementOf({ month: '2025-03', partner: 'sp-1' });
    assert.notEqual(other, a);
    await Promise.all([a, other]);
    assert.equal(calls.filter((c) => c === 'groups').length, 2, 'one per distinct ask');
    await statementOf({ month: '2025-03' });
    assert.equal(calls.filter((c) => c === 'groups').length, 3);
  });
});
