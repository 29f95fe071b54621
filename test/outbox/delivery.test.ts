/**
 * Delivery of single notifications over real HTTP to the sandbox platforms, which verify every
 * signature: outcomes classified by each kind's code table, retries on the configured schedule
 * (50, 100, 200 ms here), dead letters and replay, and the partner-side dedup key kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseForm } from '../../src/dialects';
import { GRANT_SYNC_PATH } from '../../src/sandbox';
import type { OutboxWorker } from '../../src/outbox/worker';
import { couponUsed, startRig, until, type Rig } from './rig';

let rig: Rig;
let worker: OutboxWorker;
before(async () => {
  rig = await startRig({
    partners: (u) =>
      `  - { id: tx-stranger, dialect: tencent, api_key: NOTKNOWNKEY, secret: whatever-secret-0001, notify: { base_url: "${u.tencent}" } }`,
  });
  worker = rig.worker();
});
after(() => rig.close());

const rsync = () => rig.sandbox.requests({ target: 'tencent', path: '/coupon/status/rsync' });
const row = (id: string) => rig.rt.store.getOutbox(id).then((r) => r!);
const settled = async (id: string, ms = 5000) => {
  await until(async () => ['delivered', 'dead'].includes((await row(id)).state), ms, `row ${id} settled`);
  return row(id);
};

describe('outbox delivery', () => {
  test('delivers a coupon status sync once, signed with the partner credentials, seq_id = the dedup key', async () => {
    const input = couponUsed();
    const item = await rig.enqueue(input);
    worker.wake();
    const done = await settled(item.id);
    assert.equal(done.state, 'delivered');
    assert.equal(done.attempts, 1);
    assert.match(done.answerSummary ?? '', /^HTTP 200 code 0 successful/);
    const got = rsync().filter((r) => r.fields?.seq_id === input.dedupKey);
    assert.equal(got.length, 1);
    assert.equal(got[0].answer?.body, '{"code":0,"message":"successful"}');
    const p = input.payload as Record<string, unknown>;
    for (const k of ['app_channel_id', 'user_code', 'stock_id', 'coupon_id', 'coupon_status', 'usage_time'])
      assert.equal(got[0].fields?.[k], p[k], k);
  });

  test('a partner down for a while gets retries with backoff, then the notification exactly once, same seq_id', async () => {
    rig.sandbox.fault('tencent', { mode: 'down', times: 2, path: '/coupon/status/rsync' });
    const input = couponUsed();
    const item = await rig.enqueue(input);
    worker.wake();
    const done = await settled(item.id);
    assert.equal(done.state, 'delivered');
    assert.equal(done.attempts, 3);
    const got = rsync().filter((r) => r.fields?.seq_id === input.dedupKey);
    assert.deepEqual(
      got.map((r) => r.fault ?? r.answer?.status),
      ['down', 'down', 200],
    );
    assert.equal(new Set(got.map((r) => r.fields?.nonce)).size, 3, 'each attempt is signed afresh');
    const gaps = got.slice(1).map((r, i) => Date.parse(r.at) - Date.parse(got[i].at));
    assert.ok(gaps[0] >= 50 && gaps[1] >= 100, `gaps ${gaps.join(', ')} ms follow the 50, 100 ms schedule`);
  });

  test('a partner always failing turns the row into a dead letter; replay after it recovers delivers it once', async () => {
    rig.sandbox.fault('tencent', {
      mode: 'http',
      status: 503,
      body: 'maintenance',
      path: '/coupon/status/rsync',
    });
    const input = couponUsed();
    const item = await rig.enqueue(input);
    worker.wake();
    const dead = await settled(item.id);
    rig.sandbox.fault('tencent', null);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 4, 'the first attempt and one per schedule entry');
    assert.match(dead.lastError ?? '', /Tencent HTTP 503: maintenance.*no attempt left/);
    assert.equal(rsync().filter((r) => r.fields?.seq_id === input.dedupKey).length, 4);

    assert.equal(await rig.rt.store.replay(item.id), 1);
    worker.wake();
    const done = await settled(item.id);
    assert.equal(done.state, 'delivered');
    const got = rsync().filter((r) => r.fields?.seq_id === input.dedupKey);
    assert.equal(got.filter((r) => r.answer?.status === 200).length, 1);
    assert.equal(got.length, 5);
  });

  test('a terminal answer makes the row dead at once, with the partner code in last_error', async () => {
    const item = await rig.enqueue(couponUsed('tx-stranger'));
    worker.wake();
    const dead = await settled(item.id);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError ?? '', /^Tencent 400003 api_key: api_key错误: NOTKNOWNKEY/);
  });

  test('a code the table does not list is terminal, and says so', async () => {
    rig.sandbox.fault('tencent', { mode: 'code', code: '400233', times: 1, path: '/coupon/status/rsync' });
    const item = await rig.enqueue(couponUsed());
    worker.wake();
    const dead = await settled(item.id);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError ?? '', /^Tencent 400233: sandbox injected 400233/);
  });

  test('a retryable code is retried: 500000 then success', async () => {
    rig.sandbox.fault('tencent', { mode: 'code', code: '500000', times: 1, path: '/coupon/status/rsync' });
    const item = await rig.enqueue(couponUsed());
    worker.wake();
    const done = await settled(item.id);
    assert.equal(done.state, 'delivered');
    assert.equal(done.attempts, 2);
  });

  test('an unknown kind@v is dead at once with a clear message, never dropped', async () => {
    const item = await rig.enqueue({ ...couponUsed(), kind: 'tencent.coupon_status_rsync', v: 9 });
    worker.wake();
    const dead = await settled(item.id);
    assert.equal(dead.state, 'dead');
    assert.match(
      dead.lastError ?? '',
      /^no notify mapping reads tencent\.coupon_status_rsync@9 \(known: .*tencent\.coupon_status_rsync@1/,
    );
  });

  test('a payload its reader refuses is dead at once, naming the field', async () => {
    const item = await rig.enqueue(couponUsed('tx-notify', { usage_time: '2024-03-01 10:15' }));
    worker.wake();
    const dead = await settled(item.id);
    assert.equal(dead.state, 'dead');
    assert.match(
      dead.lastError ?? '',
      /payload does not match outbox\/tencent\.coupon_status_rsync\.v1: .*usage_time/,
    );
  });

  test('a partner without notify.base_url keeps the row retrying with the reason, then dead', async () => {
    const item = await rig.enqueue(couponUsed('sp-test'));
    worker.wake();
    await until(async () => (await row(item.id)).attempts >= 1 && (await row(item.id)).state !== 'leased');
    const waiting = await row(item.id);
    assert.equal(waiting.state, 'pending');
    assert.equal(waiting.lastError, 'partner "sp-test" has no notify.base_url');
    const dead = await settled(item.id);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 4);
  });

  test('a row for a destination of another dialect is dead at once', async () => {
    const item = await rig.enqueue(couponUsed('dp-notify'));
    worker.wake();
    const dead = await settled(item.id);
    assert.equal(dead.state, 'dead');
    assert.match(
      dead.lastError ?? '',
      /destination dp-notify speaks dianping, tencent\.coupon_status_rsync@1 is tencent/,
    );
  });

  test('an upstream destination is signed with couponbridge credentials: stock status sync to tencent', async () => {
    const item = await rig.enqueue({
      kind: 'tencent.stock_status_sync',
      v: 1,
      destination: 'tencent',
      dedupKey: 'sp-seq-stock-status-1',
      payload: { stock_id: 'cb-demo-001', stock_status: 4 },
    });
    worker.wake();
    const done = await settled(item.id);
    assert.equal(done.state, 'delivered', done.lastError);
    const got = rig.sandbox.requests({ target: 'tencent', path: '/stock/status/rsync' }).at(-1)!;
    assert.equal(got.fields?.seq_id, 'sp-seq-stock-status-1');
    assert.equal(got.fields?.stock_status, 4);
  });

  test('a Dianping consume notification reaches the partner as a signed form with orderId = dedup key', async () => {
    const orderId = `PS${Date.now()}`;
    const item = await rig.enqueue({
      kind: 'dianping.consume_coupon',
      v: 1,
      destination: 'dp-notify',
      dedupKey: orderId,
      payload: {
        couponCode: '["DPX1","DPX2"]',
        shopName: 'P云 停车场',
        consumeTime: 1618994563000,
        orderId,
        orderAmount: '11.00',
        payAmount: '1.00',
      },
    });
    worker.wake();
    const done = await settled(item.id);
    assert.equal(done.state, 'delivered', done.lastError);
    const got = rig.sandbox.requests({ target: 'dianping', path: '/api/coupon/consumeCoupon' }).at(-1)!;
    const f = parseForm(got.body);
    assert.equal(f.orderId, orderId);
    assert.equal(f.freightFee, '0.00');
    assert.equal(f.attributes, '{}');
    assert.equal(got.answer?.body, '{"status":"success"}');
  });

  test('a Dianping retry after a lost answer hears 3001001 订单号重复 for its orderId and counts as delivered', async () => {
    // Same partner, same orderId, second row (as a retry whose first answer never arrived): the
    // `partner:` form of the destination keeps the dedup unique constraint out of the way.
    const orderId = `PS${Date.now()}L`;
    const consume = (destination: string) =>
      rig.enqueue({
        kind: 'dianping.consume_coupon',
        v: 1,
        destination,
        dedupKey: orderId,
        payload: {
          couponCode: 'DPL1',
          shopName: 's',
          consumeTime: 1618994563000,
          orderId,
          orderAmount: '2',
          payAmount: '1',
        },
      });
    const first = await consume('dp-notify');
    worker.wake();
    assert.equal((await settled(first.id)).state, 'delivered');
    const again = await consume('partner:dp-notify');
    worker.wake();
    const done = await settled(again.id);
    assert.equal(done.state, 'delivered');
    assert.equal(done.attempts, 1);
    assert.match(done.answerSummary ?? '', /^HTTP 200 code 3001001 订单号重复/);
  });

  test('T4 expiry reaches P云 as grant/sync expire; expiring a redeemed grant is a dead letter at once', async () => {
    const expire = (serial: string) =>
      rig.enqueue({
        kind: 'pyun.grant_sync_expire',
        v: 1,
        destination: 'pyun',
        dedupKey: `expire:${serial}`,
        payload: { park_uuid: 'park-1', grant_serial: serial, status_time: '2024-03-01T02:00:00.000Z' },
      });
    const ok = await expire(`G${Date.now()}`);
    worker.wake();
    assert.equal((await settled(ok.id)).state, 'delivered');
    const f = parseForm(rig.sandbox.requests({ target: 'pyun', path: GRANT_SYNC_PATH }).at(-1)!.body);
    assert.equal(f.status, '-2');
    assert.equal(f.status_desc, '已过期');

    rig.sandbox.fault('pyun', { mode: 'code', code: '1003', message: '优惠券已核销，不能作废', times: 1 });
    const refused = await expire(`G${Date.now()}x`);
    worker.wake();
    const dead = await settled(refused.id);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError ?? '', /P云 1003 \(redeemed, cannot expire\): 优惠券已核销/);
  });

  test('each attempt is journaled, found by its dedup key', async () => {
    const input = couponUsed();
    const item = await rig.enqueue(input);
    worker.wake();
    await settled(item.id);
    await until(async () => (await rig.rt.store.findExchanges(input.dedupKey)).length === 1);
    const [e] = await rig.rt.store.findExchanges(input.dedupKey);
    assert.equal(e.route, 'outbox/tencent.coupon_status_rsync@1');
    assert.equal(e.outcome, 'delivered');
    assert.ok(e.businessKeys.includes(`outbox:${item.id}`));
    assert.doesNotMatch(JSON.stringify(e.data), /tencent-upstream-secret/);
  });
});
