/**
 * Flow T4 end to end over HTTP: Tencent 设置可用优惠券过期/失效, single and batch → the ledger's
 * state machine (all-or-nothing) → one P云 grant/sync expire per settled coupon, against the
 * sandbox P云 (which verifies couponbridge's signature).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseForm } from '../../src/dialects';
import type { CouponFields, CouponRecord, CouponState } from '../../src/store/types';
import { toCstIso } from '../../src/time';
import { creds, startStack, type Stack } from '../support/stack';

const SINGLE = '/tencent/sp/coupon/deactivate';
const BATCH = '/tencent/sp/coupon/batch/deactivate';
const CST = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;
const UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PHONE = '13911112222';
let stack: Stack;

async function register(
  state: Exclude<CouponState, 'pending'> = 'available',
  over: Partial<CouponFields> = {},
): Promise<CouponRecord> {
  const couponId = `D${randomUUID().replace(/-/g, '').slice(0, 14)}`;
  const { coupon } = await stack.running.rt.store.upsertCoupon(
    {
      id: `test:${couponId}`,
      stockId: 'cb-demo-001',
      partner: 'sp-test',
      couponId,
      userCode: 'u-1',
      grantSerial: `G${couponId}`,
      parkUuid: 'park-from-ledger',
      faceValue: 500,
      state,
      ...over,
    },
    { actor: 'test', at: new Date() },
  );
  return coupon;
}

async function stateOf(c: CouponRecord): Promise<CouponState | undefined> {
  return (await stack.running.rt.store.getCoupon({ id: c.id }))?.state;
}

function single(c: CouponRecord, status: 3 | 4, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-1',
    mobile_phone: PHONE,
    stock_id: c.stockId,
    coupon_id: c.couponId,
    coupon_status: status,
    reason: '用户申请退款',
    ...over,
  };
}

function batch(cs: CouponRecord[], status: 3 | 4): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-1',
    mobile_phone: PHONE,
    coupons: cs.map((c) => ({ stock_id: c.stockId, coupon_id: c.couponId })),
    coupon_status: status,
  };
}

function pyunCalls() {
  return stack.sandbox.requests({ target: 'pyun' }).map((r) => ({ ...r, form: parseForm(r.body) }));
}

async function endedAt(c: CouponRecord): Promise<string> {
  const h = await stack.running.rt.store.history(c.id);
  return toCstIso(h.at(-1)!.at.getTime());
}

before(async () => {
  stack = await startStack({ pyunTimeoutMs: 800 });
});
after(async () => {
  await stack.close();
});

describe('T4 single deactivate', () => {
  test('coupon_status 3 expires an available coupon and sends P云 the expire form', async () => {
    const c = await register();
    stack.sandbox.clear();
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.status, 200);
    assert.equal(res.json.code, 0);
    assert.match(res.json.data.deactivate_time, CST);
    assert.equal(await stateOf(c), 'expired');
    const calls = pyunCalls();
    assert.equal(calls.length, 1);
    const f = calls[0].form;
    assert.equal(calls[0].path, '/gate/1.0/parking/internal/mcoupon/grant/sync');
    assert.equal(f.app_id, creds.pyunUpstream.app_id);
    assert.equal(f.status, '-2');
    assert.equal(f.status_desc, '已过期');
    assert.match(f.status_time, UTC);
    assert.equal(f.grant_serial, c.grantSerial);
    assert.equal(f.park_uuid, 'park-from-ledger');
    assert.equal(f.apply_status, undefined);
    assert.equal(JSON.parse(calls[0].answer!.body).code, '1001', 'the sandbox verified the signature');
  });

  test('coupon_status 4 invalidates an available coupon (已失效)', async () => {
    const c = await register();
    stack.sandbox.clear();
    const res = await stack.tencent(SINGLE, single(c, 4));
    assert.equal(res.json.code, 0);
    assert.equal(await stateOf(c), 'invalid');
    assert.equal(res.json.data.deactivate_time, await endedAt(c));
    const [call] = pyunCalls();
    assert.equal(call.form.status, '-2');
    assert.equal(call.form.status_desc, '已失效');
  });

  test('a coupon already expired satisfies the request: unchanged, same time, re-sent to P云', async () => {
    const c = await register();
    const first = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(first.json.code, 0);
    stack.sandbox.clear();
    const again = await stack.tencent(SINGLE, single(c, 4));
    assert.equal(again.json.code, 0);
    assert.equal(again.json.data.deactivate_time, first.json.data.deactivate_time);
    assert.equal(await stateOf(c), 'expired');
    const calls = pyunCalls();
    assert.equal(calls.length, 1);
    assert.equal(calls[0].form.status_desc, '已过期', 'P云 hears the state the coupon is in');
    assert.equal(JSON.parse(calls[0].answer!.body).code, '1001');
  });

  test('a used coupon is 400212 and P云 is not called', async () => {
    const c = await register('used');
    stack.sandbox.clear();
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.json.code, 400212);
    assert.match(res.json.message, /used/);
    assert.equal(await stateOf(c), 'used');
    assert.equal(pyunCalls().length, 0);
  });

  test('an unknown coupon, one of another stock and one of another user are 400211', async () => {
    stack.sandbox.clear();
    const unknown = await stack.tencent(SINGLE, single(await register(), 3, { coupon_id: 'NO-SUCH-COUPON' }));
    assert.equal(unknown.json.code, 400211);
    assert.match(unknown.json.message, /NO-SUCH-COUPON/);
    const c = await register();
    const otherStock = await stack.tencent(SINGLE, single(c, 3, { stock_id: 'cb-demo-time-002' }));
    assert.equal(otherStock.json.code, 400211);
    const otherUser = await stack.tencent(SINGLE, single(c, 3, { user_code: 'u-other' }));
    assert.equal(otherUser.json.code, 400211);
    assert.equal(await stateOf(c), 'available');
    assert.equal(pyunCalls().length, 0);
  });

  test('grant_serial falls back to the coupon_id and park_uuid to the catalogue, then the partner defaults', async () => {
    const inCatalogue = await register('available', { grantSerial: undefined, parkUuid: undefined });
    const elsewhere = await register('available', {
      grantSerial: undefined,
      parkUuid: undefined,
      stockId: 'not-in-catalogue',
    });
    stack.sandbox.clear();
    assert.equal((await stack.tencent(SINGLE, single(inCatalogue, 3))).json.code, 0);
    assert.equal((await stack.tencent(SINGLE, single(elsewhere, 3))).json.code, 0);
    const [a, b] = pyunCalls();
    assert.equal(a.form.grant_serial, inCatalogue.couponId);
    assert.equal(a.form.park_uuid, '49f0cc52-e8c7-41e3-b54d-af666b8cc11a');
    assert.equal(b.form.park_uuid, 'park-from-partner-defaults');
  });

  test('a P云 failure after the ledger changed answers 500000; the retry re-sends the expire', async () => {
    const c = await register();
    stack.sandbox.clear();
    stack.sandbox.fault('pyun', { mode: 'code', code: '1405', message: '车场下发失败', times: 1 });
    const failed = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(failed.json.code, 500000);
    assert.match(failed.json.message, /P云 1405/);
    assert.equal(await stateOf(c), 'expired', 'the ledger change stands');
    const retry = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(retry.json.code, 0);
    assert.equal(retry.json.data.deactivate_time, await endedAt(c));
    const calls = pyunCalls();
    assert.equal(calls.length, 2);
    assert.equal(calls[1].form.grant_serial, c.grantSerial);
    assert.equal(JSON.parse(calls[1].answer!.body).code, '1001');
  });

  test('P云 down answers 500000 with HTTP 502', async () => {
    const c = await register();
    stack.sandbox.fault('pyun', { mode: 'down', times: 1 });
    const res = await stack.tencent(SINGLE, single(c, 4));
    assert.equal(res.status, 502);
    assert.equal(res.json.code, 500000);
  });

  test('mobile_phone never reaches the journal in clear', async () => {
    const c = await register();
    assert.equal((await stack.tencent(SINGLE, single(c, 3))).json.code, 0);
    let records: unknown[] = [];
    for (let i = 0; i < 50 && records.length === 0; i++) {
      records = await stack.running.rt.store.findExchanges(c.couponId!);
      if (records.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(records.length, 1);
    const text = JSON.stringify(records);
    assert.match(text, /139\*{4}2222/, 'the inbound body is journaled with the number masked');
    assert.ok(!text.includes(PHONE));
  });

  test('a bad signature and a stale timestamp are answered in the Tencent envelope and change nothing', async () => {
    const c = await register();
    const bad = await stack.tencent(SINGLE, single(c, 3), { tamper: (b) => b.replace('"u-1"', '"u-2"') });
    assert.equal(bad.json.code, 400005);
    const stale = await stack.tencent(SINGLE, single(c, 3), { now: new Date(Date.now() - 301_000) });
    assert.equal(stale.json.code, 400004);
    assert.equal(await stateOf(c), 'available');
  });
});

describe('T4 batch deactivate', () => {
  test('all available: every coupon expires and P云 receives one expire each', async () => {
    const cs = [await register(), await register(), await register()];
    stack.sandbox.clear();
    const res = await stack.tencent(BATCH, batch(cs, 3));
    assert.equal(res.json.code, 0);
    assert.deepEqual(
      res.json.data.expire_coupons.map((e: { coupon_id: string; stock_id: string }) => [
        e.stock_id,
        e.coupon_id,
      ]),
      cs.map((c) => [c.stockId, c.couponId]),
    );
    for (const e of res.json.data.expire_coupons) assert.match(e.expire_time, CST);
    assert.equal(res.json.data.deactivate_coupons, undefined);
    assert.equal(res.json.data.illegal_coupons, undefined);
    for (const c of cs) assert.equal(await stateOf(c), 'expired');
    const calls = pyunCalls();
    assert.deepEqual(calls.map((r) => r.form.grant_serial).sort(), cs.map((c) => c.grantSerial).sort());
    for (const r of calls) {
      assert.equal(r.form.status, '-2');
      assert.equal(r.form.status_desc, '已过期');
      assert.equal(JSON.parse(r.answer!.body).code, '1001');
    }
  });

  test('coupon_status 4 lists deactivate_coupons, an already expired coupon among them unchanged', async () => {
    const fresh = await register();
    const ended = await register('expired');
    stack.sandbox.clear();
    const res = await stack.tencent(BATCH, batch([fresh, ended], 4));
    assert.equal(res.json.code, 0);
    const list = res.json.data.deactivate_coupons;
    assert.deepEqual(
      list.map((e: { coupon_id: string }) => e.coupon_id),
      [fresh.couponId, ended.couponId],
    );
    assert.equal(list[1].deactivate_time, await endedAt(ended));
    assert.equal(await stateOf(fresh), 'invalid');
    assert.equal(await stateOf(ended), 'expired');
    assert.deepEqual(
      pyunCalls().map((r) => r.form.status_desc),
      ['已失效', '已过期'],
    );
  });

  test('one used coupon refuses the whole batch: nothing changes, illegal_coupons lists it', async () => {
    const ok = [await register(), await register()];
    const used = await register('used');
    const refunded = await register('refunded');
    stack.sandbox.clear();
    const res = await stack.tencent(BATCH, batch([ok[0], used, ok[1], refunded], 3));
    assert.equal(res.json.code, 0);
    assert.deepEqual(res.json.data, {
      illegal_coupons: [
        { stock_id: used.stockId, coupon_id: used.couponId, coupon_status: 2 },
        { stock_id: refunded.stockId, coupon_id: refunded.couponId, coupon_status: 2 },
      ],
    });
    assert.equal(await stateOf(ok[0]), 'available');
    assert.equal(await stateOf(ok[1]), 'available');
    assert.equal(await stateOf(used), 'used');
    assert.equal(pyunCalls().length, 0);
  });

  test('an unknown coupon refuses the whole batch with 400211', async () => {
    const c = await register();
    const res = await stack.tencent(BATCH, {
      ...batch([c], 3),
      coupons: [
        { stock_id: c.stockId, coupon_id: c.couponId },
        { stock_id: c.stockId, coupon_id: 'NO-SUCH-COUPON' },
      ],
    });
    assert.equal(res.json.code, 400211);
    assert.equal(await stateOf(c), 'available');
  });

  test('a coupon listed twice is settled and reported once', async () => {
    const c = await register();
    stack.sandbox.clear();
    const res = await stack.tencent(BATCH, batch([c, c], 3));
    assert.equal(res.json.code, 0);
    assert.equal(res.json.data.expire_coupons.length, 1);
    assert.equal(pyunCalls().length, 1);
  });

  test('eleven coupons are a schema error', async () => {
    const cs = await Promise.all(Array.from({ length: 11 }, () => register()));
    const res = await stack.tencent(BATCH, batch(cs, 3));
    assert.equal(res.json.code, 400000);
    assert.match(res.json.message, /\/coupons/);
    for (const c of cs) assert.equal(await stateOf(c), 'available');
  });

  test('after a P云 failure mid-batch, the retry re-sends every coupon', async () => {
    const cs = [await register(), await register()];
    stack.sandbox.clear();
    stack.sandbox.fault('pyun', { mode: 'code', code: '1500', times: 1 });
    const failed = await stack.tencent(BATCH, batch(cs, 3));
    assert.equal(failed.json.code, 500000);
    assert.equal(pyunCalls().length, 1, 'the first failure stops the loop');
    for (const c of cs) assert.equal(await stateOf(c), 'expired');
    stack.sandbox.clear();
    const retry = await stack.tencent(BATCH, batch(cs, 3));
    assert.equal(retry.json.code, 0);
    assert.equal(retry.json.data.expire_coupons.length, 2);
    const calls = pyunCalls();
    assert.deepEqual(calls.map((r) => r.form.grant_serial).sort(), cs.map((c) => c.grantSerial).sort());
    for (const r of calls) assert.equal(JSON.parse(r.answer!.body).code, '1001');
  });
});
