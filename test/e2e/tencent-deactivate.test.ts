/**
 * Flow T4 end to end over HTTP: Tencent 设置可用优惠券过期/失效, single and batch → the ledger's
 * state machine (all-or-nothing) with one pyun.grant_sync_expire@1 notification per coupon stored
 * in the same transaction → the outbox worker running in the stack's server delivers each to the
 * sandbox P云 (which verifies couponbridge's signature), retrying while P云 fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseForm } from '../../src/dialects';
import type { CouponFields, CouponRecord, CouponState, OutboxItem } from '../../src/store/types';
import { toCstIso, toUtcIso } from '../../src/time';
import { creds, fastOutboxYaml, startStack, type Stack } from '../support/stack';

const SINGLE = '/tencent/sp/coupon/deactivate';
const BATCH = '/tencent/sp/coupon/batch/deactivate';
const CST = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;
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

const serialOf = (c: CouponRecord): string => c.grantSerial ?? c.couponId!;

/** What the sandbox P云 received for one grant serial, oldest first. */
function pyunCalls(serial: string) {
  return stack.sandbox
    .requests({ target: 'pyun' })
    .map((r) => ({ ...r, form: parseForm(r.body) }))
    .filter((r) => r.form.grant_serial === serial);
}

async function outboxOf(serial: string): Promise<OutboxItem[]> {
  const all = await stack.running.rt.store.listOutbox({ destination: 'pyun' });
  return all.filter((i) => i.dedupKey === `expire:${serial}`);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the coupon's expire is delivered; returns the row and P云's accepted call. */
async function delivered(c: CouponRecord) {
  const serial = serialOf(c);
  const item = await eventually(`the P云 expire of ${serial}`, async () => {
    const [row] = await outboxOf(serial);
    return row?.state === 'delivered' ? row : undefined;
  });
  const accepted = pyunCalls(serial).filter((r) => r.answer && JSON.parse(r.answer.body).code === '1001');
  assert.equal(accepted.length, 1, 'P云 accepted the expire once (it verified the signature)');
  return { item, call: accepted[0] };
}

async function endedAt(c: CouponRecord): Promise<Date> {
  const h = await stack.running.rt.store.history(c.id);
  return h.at(-1)!.at;
}

before(async () => {
  stack = await startStack({
    pyunTimeoutMs: 800,
    extraYaml: fastOutboxYaml,
  });
});
after(async () => {
  await stack.close();
});

describe('T4 single deactivate', () => {
  test('coupon_status 3 expires an available coupon, stores its P云 expire and the worker delivers it', async () => {
    const c = await register();
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.status, 200);
    assert.equal(res.json.code, 0);
    assert.match(res.json.data.deactivate_time, CST);
    assert.equal(await stateOf(c), 'expired');
    const ended = await endedAt(c);
    assert.equal(res.json.data.deactivate_time, toCstIso(ended.getTime()));
    const { item, call } = await delivered(c);
    assert.equal(item.kind, 'pyun.grant_sync_expire');
    assert.equal(item.v, 1);
    assert.equal(item.attempts, 1);
    assert.deepEqual(item.payload, {
      park_uuid: 'park-from-ledger',
      grant_serial: c.grantSerial,
      status_desc: '已过期',
      status_time: toUtcIso(ended.getTime()),
    });
    assert.equal(call.path, '/gate/1.0/parking/internal/mcoupon/grant/sync');
    assert.equal(call.form.app_id, creds.pyunUpstream.app_id);
    assert.equal(call.form.status, '-2');
    assert.equal(call.form.status_desc, '已过期');
    assert.equal(call.form.status_time, toUtcIso(ended.getTime()), 'the time the ledger recorded the end');
    assert.equal(call.form.park_uuid, 'park-from-ledger');
    assert.equal(call.form.apply_status, undefined);
  });

  test('coupon_status 4 invalidates an available coupon (已失效)', async () => {
    const c = await register();
    const res = await stack.tencent(SINGLE, single(c, 4));
    assert.equal(res.json.code, 0);
    assert.equal(await stateOf(c), 'invalid');
    assert.equal(res.json.data.deactivate_time, toCstIso((await endedAt(c)).getTime()));
    const { call } = await delivered(c);
    assert.equal(call.form.status, '-2');
    assert.equal(call.form.status_desc, '已失效');
  });

  test('a coupon already expired satisfies the request: unchanged, same time, the identical expire kept once', async () => {
    const c = await register();
    const first = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(first.json.code, 0);
    const before = (await delivered(c)).item;
    const again = await stack.tencent(SINGLE, single(c, 4));
    assert.equal(again.json.code, 0);
    assert.equal(again.json.data.deactivate_time, first.json.data.deactivate_time);
    assert.equal(await stateOf(c), 'expired');
    const rows = await outboxOf(serialOf(c));
    assert.equal(rows.length, 1, 're-enqueueing the identical notification is a no-op');
    assert.deepEqual(rows[0], before, 'already delivered: not sent again');
    assert.equal((before.payload as Record<string, unknown>).status_desc, '已过期');
  });

  test('a coupon that ended without its expire being stored gets it from the retry, dated at its recorded end', async () => {
    const c = await register('invalid');
    const res = await stack.tencent(SINGLE, single(c, 4));
    assert.equal(res.json.code, 0);
    const ended = await endedAt(c);
    assert.equal(res.json.data.deactivate_time, toCstIso(ended.getTime()));
    const { call } = await delivered(c);
    assert.equal(call.form.status_desc, '已失效');
    assert.equal(call.form.status_time, toUtcIso(ended.getTime()));
  });

  test('P云 down: Tencent is answered success at once and the expire is delivered once P云 is back', async () => {
    const c = await register();
    stack.sandbox.fault('pyun', { mode: 'down', times: 2 });
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.status, 200);
    assert.equal(res.json.code, 0);
    assert.equal(await stateOf(c), 'expired');
    const { item } = await delivered(c);
    assert.equal(item.attempts, 3, 'two attempts met P云 down, the third was delivered');
    const calls = pyunCalls(serialOf(c));
    assert.deepEqual(
      calls.map((r) => r.fault),
      ['down', 'down', undefined],
    );
    assert.equal(
      new Set(calls.map((r) => r.form.status_time)).size,
      1,
      'every attempt carries the same payload',
    );
  });

  test('P云 answering 1405 is retried; 1003 (redeemed at P云) is a dead letter; Tencent got success either way', async () => {
    const retried = await register();
    stack.sandbox.fault('pyun', { mode: 'code', code: '1405', message: '车场下发失败', times: 1 });
    assert.equal((await stack.tencent(SINGLE, single(retried, 3))).json.code, 0);
    assert.equal((await delivered(retried)).item.attempts, 2);

    const refused = await register();
    stack.sandbox.fault('pyun', { mode: 'code', code: '1003', message: '优惠券已核销，不能作废', times: 1 });
    assert.equal((await stack.tencent(SINGLE, single(refused, 3))).json.code, 0);
    const dead = await eventually('the dead letter', async () => {
      const [row] = await outboxOf(serialOf(refused));
      return row?.state === 'dead' ? row : undefined;
    });
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError ?? '', /P云 1003/);
  });

  test('the ledger change and its notification are stored together: when the notification cannot be, nothing changes', async () => {
    const c = await register();
    await stack.running.rt.store.enqueue([
      {
        kind: 'pyun.grant_sync_expire',
        v: 1,
        destination: 'pyun',
        dedupKey: `expire:${serialOf(c)}`,
        payload: { park_uuid: 'other', grant_serial: serialOf(c), status_time: '2024-01-01T00:00:00.000Z' },
        notBefore: new Date(Date.now() + 3_600_000),
      },
    ]);
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.json.code, 500000);
    assert.equal(await stateOf(c), 'available');
    const rows = await outboxOf(serialOf(c));
    assert.equal(rows.length, 1);
    assert.equal((rows[0].payload as Record<string, unknown>).park_uuid, 'other');
  });

  test('an already ended coupon whose key holds a different expire keeps the stored one and answers success', async () => {
    const c = await register('expired');
    const held = {
      park_uuid: 'park-then',
      grant_serial: serialOf(c),
      status_time: '2024-01-01T00:00:00.000Z',
    };
    await stack.running.rt.store.enqueue([
      {
        kind: 'pyun.grant_sync_expire',
        v: 1,
        destination: 'pyun',
        dedupKey: `expire:${serialOf(c)}`,
        payload: held,
        notBefore: new Date(Date.now() + 3_600_000),
      },
    ]);
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.json.code, 0);
    const rows = await outboxOf(serialOf(c));
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].payload, held);
  });

  test('a used coupon is 400212 and nothing is enqueued', async () => {
    const c = await register('used');
    const res = await stack.tencent(SINGLE, single(c, 3));
    assert.equal(res.json.code, 400212);
    assert.match(res.json.message, /used/);
    assert.equal(await stateOf(c), 'used');
    assert.deepEqual(await outboxOf(serialOf(c)), []);
  });

  test('an unknown coupon, one of another stock and one of another user are 400211', async () => {
    const unknown = await stack.tencent(SINGLE, single(await register(), 3, { coupon_id: 'NO-SUCH-COUPON' }));
    assert.equal(unknown.json.code, 400211);
    assert.match(unknown.json.message, /NO-SUCH-COUPON/);
    const c = await register();
    const otherStock = await stack.tencent(SINGLE, single(c, 3, { stock_id: 'cb-demo-time-002' }));
    assert.equal(otherStock.json.code, 400211);
    const otherUser = await stack.tencent(SINGLE, single(c, 3, { user_code: 'u-other' }));
    assert.equal(otherUser.json.code, 400211);
    assert.equal(await stateOf(c), 'available');
    assert.deepEqual(await outboxOf(serialOf(c)), []);
  });

  test('grant_serial falls back to the coupon_id and park_uuid to the catalogue, then the partner defaults', async () => {
    const inCatalogue = await register('available', { grantSerial: undefined, parkUuid: undefined });
    const elsewhere = await register('available', {
      grantSerial: undefined,
      parkUuid: undefined,
      stockId: 'not-in-catalogue',
    });
    assert.equal((await stack.tencent(SINGLE, single(inCatalogue, 3))).json.code, 0);
    assert.equal((await stack.tencent(SINGLE, single(elsewhere, 3))).json.code, 0);
    const a = (await delivered(inCatalogue)).call;
    const b = (await delivered(elsewhere)).call;
    assert.equal(a.form.grant_serial, inCatalogue.couponId);
    assert.equal(a.form.park_uuid, '49f0cc52-e8c7-41e3-b54d-af666b8cc11a');
    assert.equal(b.form.park_uuid, 'park-from-partner-defaults');
  });

  test('mobile_phone never reaches the journal in clear', async () => {
    const c = await register();
    assert.equal((await stack.tencent(SINGLE, single(c, 3))).json.code, 0);
    const records = await eventually('the journal record', async () => {
      const found = await stack.running.rt.store.findExchanges(c.couponId!);
      return found.length > 0 ? found : undefined;
    });
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
    assert.deepEqual(await outboxOf(serialOf(c)), []);
  });
});

describe('T4 batch deactivate', () => {
  test('all available: every coupon expires and P云 receives one expire each', async () => {
    const cs = [await register(), await register(), await register()];
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
    for (const c of cs) {
      assert.equal(await stateOf(c), 'expired');
      const { call } = await delivered(c);
      assert.equal(call.form.status, '-2');
      assert.equal(call.form.status_desc, '已过期');
    }
  });

  test('coupon_status 4 lists deactivate_coupons, an already expired coupon among them unchanged', async () => {
    const fresh = await register();
    const ended = await register('expired');
    const res = await stack.tencent(BATCH, batch([fresh, ended], 4));
    assert.equal(res.json.code, 0);
    const list = res.json.data.deactivate_coupons;
    assert.deepEqual(
      list.map((e: { coupon_id: string }) => e.coupon_id),
      [fresh.couponId, ended.couponId],
    );
    assert.equal(list[1].deactivate_time, toCstIso((await endedAt(ended)).getTime()));
    assert.equal(await stateOf(fresh), 'invalid');
    assert.equal(await stateOf(ended), 'expired');
    assert.equal((await delivered(fresh)).call.form.status_desc, '已失效');
    assert.equal(
      (await delivered(ended)).call.form.status_desc,
      '已过期',
      'P云 hears the state the coupon is in',
    );
  });

  test('one used coupon refuses the whole batch: nothing changes, nothing is enqueued, illegal_coupons lists it', async () => {
    const ok = [await register(), await register()];
    const used = await register('used');
    const refunded = await register('refunded');
    const before = (await stack.running.rt.store.listOutbox({})).length;
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
    assert.equal((await stack.running.rt.store.listOutbox({})).length, before);
    for (const c of [...ok, used, refunded]) assert.equal(pyunCalls(serialOf(c)).length, 0);
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
    assert.deepEqual(await outboxOf(serialOf(c)), []);
  });

  test('a coupon listed twice is settled, enqueued and reported once', async () => {
    const c = await register();
    const res = await stack.tencent(BATCH, batch([c, c], 3));
    assert.equal(res.json.code, 0);
    assert.equal(res.json.data.expire_coupons.length, 1);
    await delivered(c);
    assert.equal((await outboxOf(serialOf(c))).length, 1);
  });

  test('eleven coupons are a schema error', async () => {
    const cs = await Promise.all(Array.from({ length: 11 }, () => register()));
    const res = await stack.tencent(BATCH, batch(cs, 3));
    assert.equal(res.json.code, 400000);
    assert.match(res.json.message, /\/coupons/);
    for (const c of cs) assert.equal(await stateOf(c), 'available');
  });

  test('P云 failing mid-batch does not reach Tencent: success, and every coupon is delivered after the retries', async () => {
    const cs = [await register(), await register()];
    stack.sandbox.fault('pyun', { mode: 'code', code: '1500', times: 1 });
    const res = await stack.tencent(BATCH, batch(cs, 3));
    assert.equal(res.json.code, 0);
    assert.equal(res.json.data.expire_coupons.length, 2);
    const attempts = [];
    for (const c of cs) {
      assert.equal(await stateOf(c), 'expired');
      attempts.push((await delivered(c)).item.attempts);
    }
    assert.deepEqual(attempts.sort(), [1, 2], 'the one P云 refused was sent again');
  });
});
