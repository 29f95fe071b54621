/**
 * Settlement end to end (issue 17): real traffic through couponbridge — Tencent claims, a status
 * sync redemption, a T4 expiry, a P云 payment push, a Dianping consume and its refund — then the
 * statement's counts and 分 sums per partner, written by hand from that traffic; and each
 * discrepancy kind caused by the traffic that produces it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CbError } from '../../src/errors';
import { toCstIso } from '../../src/time';
import { buildStatement, type Statement } from '../../src/reconcile/statement';
import {
  claimCoupon,
  deactivateCoupon,
  pushPayment,
  startStack,
  statusSyncFields as statusSync,
  type Stack,
} from '../support/stack';
import { dianping, parkPos, parkPosYaml, uniq } from './dianping-client';

const CONSUME = '/dianping/api/coupon/consumeCoupon';
const ORDER = '/dianping/api/coupon/consumeCouponOrder';
const STATUS = '/tencent/coupon/status/rsync';
let stack: Stack;

before(async () => {
  // The legacy fallback is on: the day includes a legacy SP syncing coupons the ledger never registered.
  stack = await startStack({ extraYaml: `${parkPosYaml}\ngrant_serial_fallback: coupon_id` });
});
after(async () => {
  await stack.close();
});

const today = (): string => toCstIso(Date.now()).slice(0, 10);

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('reconcile: a day of traffic', () => {
  let statement: Statement;
  const refs: Record<string, string> = {};

  before(async () => {
    const from = today();
    const store = stack.running.rt.store;
    const consume = (orderId: string, codes: string[], orderAmount: string, payAmount: string) =>
      dianping(stack, CONSUME, {
        couponCode: JSON.stringify(codes),
        orderId,
        shopName: '点评停车场',
        consumeTime: 1709259330120,
        orderAmount,
        payAmount,
        freightFee: '0',
        attributes: JSON.stringify({ table: 'A1' }),
      });

    // sp-test: four claims of cb-demo-001 (500 分 each), three of them recorded as granted
    const c1 = await claimCoupon(stack, 'u-1');
    const c2 = await claimCoupon(stack, 'u-2');
    const c3 = await claimCoupon(stack, 'u-3');
    // redeemed by a status sync (apply_value = the ledger's 500)
    assert.equal((await stack.tencent(STATUS, statusSync(c1.couponId, 2, 'u-1'))).json.code, 0);
    // expired by T4
    await deactivateCoupon(stack, c2.couponId, 'u-2');
    // redeemed at the gate: P1 push; its Tencent notification is refused for good → a dead letter
    stack.sandbox.fault('tencent', { mode: 'code', code: '400000', message: '参数错误', times: 1 });
    refs.paySerial = `PS${randomUUID().slice(0, 12)}`;
    assert.equal((await pushPayment(stack, refs.paySerial, c3.grantSerial)).json?.code, '1001');
    await until('the dead letter', async () => (await store.listOutbox({ state: 'dead' }))[0]);
    // the fourth claim is granted by P云, then the store fails before the grant and its answer (one
    // transaction) are recorded, and stays down for the clean-up (release, abandon), as in a crash
    const down = ['activateCoupon', 'releaseCoupon', 'idemAbandon'] as const;
    const saved = down.map((m) => store[m]);
    down.forEach((m, i) => {
      (store as unknown as Record<string, unknown>)[m] = () => {
        (store as unknown as Record<string, unknown>)[m] = saved[i];
        return Promise.reject(new CbError('CB_STORE_UNAVAILABLE', 'crash before the grant was recorded'));
      };
    });
    const requestId = randomUUID().replace(/-/g, '');
    refs.lostClaim = requestId;
    const lost = await stack.tencent('/tencent/sp/coupon/receive', {
      app_channel_id: 0,
      user_code: 'u-4',
      stock_id: 'cb-demo-001',
      request_id: requestId,
      extra: '{"plate":"川A660P1"}',
    });
    assert.notEqual(lost.json?.code, 0, 'the partner never got the grant');
    assert.deepEqual(
      down.map((m) => store[m]),
      saved,
    );

    // pos-park: order O1 consumes two unknown codes: 20 − 15.5 = 4.50 元 → 225 + 225 分, then refunded
    const [n1, n2] = [uniq('N1'), uniq('N2')];
    refs.n1 = n1;
    const o1 = uniq('O1');
    assert.deepEqual((await consume(o1, [n1, n2], '20', '15.5')).json, { status: 'success' });
    const refund = await dianping(stack, ORDER, {
      orderId: o1,
      shopName: '点评停车场',
      consumeTime: 1709259330120,
      payAmount: '15.5',
    });
    assert.deepEqual(refund.json, { status: 'success' }, refund.body);
    // X expired at P云 by a legacy status sync the ledger never registered; order O2 = [H1, X]:
    // H1 redeemed (10 − 5 = 5 元 → 250 分 each), X refused 1003, the POS never retries
    refs.x = `X${randomUUID().slice(0, 8)}`;
    assert.equal((await stack.tencent(STATUS, statusSync(refs.x, 3))).json.code, 0);
    refs.o2 = uniq('O2');
    refs.h1 = uniq('H1');
    assert.equal((await consume(refs.o2, [refs.h1, refs.x], '10', '5')).json.status, 'error');
    // a legacy coupon the ledger never registered, redeemed twice by sp-test's status syncs: P云 1403
    refs.dup = `L${randomUUID().slice(0, 8)}`;
    assert.equal((await stack.tencent(STATUS, statusSync(refs.dup, 2))).json.code, 0);
    assert.equal((await stack.tencent(STATUS, statusSync(refs.dup, 2))).json.code, 0);
    // a push naming a coupon nobody issued
    refs.ghost = `GHOST${randomUUID().slice(0, 8)}`;
    assert.equal((await pushPayment(stack, `PS${randomUUID().slice(0, 12)}`, refs.ghost)).json?.code, '1001');

    const p = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 86_400_000) };
    await until('the journaled anomalies', async () =>
      (await store.listAnomalies(p)).length >= 3 ? true : undefined,
    );
    statement = await buildStatement(store, {
      from,
      to: today(),
      now: new Date(Date.now() + 1),
      graceMs: 0,
      idempotencyKeptSince: new Date(Date.now() - 7 * 86_400_000),
      claimRoute: 'tencent.sp-coupon-receive',
    });
  });

  test('counts and 分 sums are exact per partner and stock', () => {
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
    const pos = totals({ redeemed: 3, refunded: 2, redeemed_value_fen: 700, refunded_value_fen: 450 });
    const sp = totals({
      claimed: 3,
      redeemed: 2,
      expired: 1,
      claimed_value_fen: 1500,
      redeemed_value_fen: 1000,
    });
    assert.deepEqual(statement.partners, [
      { partner: parkPos.id, ...pos, stocks: [{ stock_id: 'dianping', ...pos }] },
      { partner: 'sp-test', ...sp, stocks: [{ stock_id: 'cb-demo-001', ...sp }] },
    ]);
  });

  test('each discrepancy is listed with the exchanges to trace', async () => {
    const got = statement.discrepancies.map((d) => [d.kind, d.partner, d.ref]);
    const dead = (await stack.running.rt.store.listOutbox({ state: 'dead' }))[0];
    assert.deepEqual(got, [
      ['notification_dead', 'sp-test', `outbox:${dead.id}`],
      ['push_unknown_coupon', 'pyun', refs.ghost],
      ['redeem_duplicate', 'sp-test', refs.dup],
      ['redeem_refused', parkPos.id, refs.x],
      ['dianping_half_consumed', parkPos.id, refs.o2],
      ['claim_answer_undelivered', 'sp-test', refs.lostClaim],
    ]);
    for (const d of statement.discrepancies) {
      assert.ok(d.exchange_ids.length > 0, `${d.kind} names an exchange`);
      for (const id of d.exchange_ids) {
        assert.ok(
          await stack.running.rt.store.getExchange(id),
          `${d.kind}: exchange ${id} is in the journal`,
        );
      }
    }
    const byKind = Object.fromEntries(statement.discrepancies.map((d) => [d.kind, d]));
    assert.match(byKind.notification_dead.detail, /tencent\.coupon_status_rsync@1 .* dead after 1 attempt/);
    assert.match(byKind.redeem_refused.detail, /^P云 1003 优惠券已失效$/);
    assert.match(byKind.redeem_duplicate.detail, /^P云 1403 重复核销$/);
    assert.match(byKind.dianping_half_consumed.detail, new RegExp(`code\\(s\\) ${refs.h1} redeemed at P云`));
    assert.match(
      byKind.claim_answer_undelivered.detail,
      /is still a reservation: P云 may have granted it .*the partner never got an answer$/,
    );
  });

  test('the partner filter keeps one partner and its discrepancies', async () => {
    const only = await buildStatement(stack.running.rt.store, {
      from: statement.from,
      to: statement.to,
      partner: parkPos.id,
      now: new Date(Date.now() + 1),
      graceMs: 0,
      idempotencyKeptSince: new Date(Date.now() - 7 * 86_400_000),
      claimRoute: 'tencent.sp-coupon-receive',
    });
    assert.deepEqual(
      only.partners.map((p) => p.partner),
      [parkPos.id],
    );
    assert.deepEqual(
      only.discrepancies.map((d) => d.kind),
      ['redeem_refused', 'dianping_half_consumed'],
    );
  });
});
