/**
 * P1 end to end through the outbox: P云 pushes a paid order to couponbridge; the notifications the
 * push stored are delivered by the worker to the sandbox platforms (which verify the signatures):
 * Tencent /coupon/status/rsync for a Tencent claim, Dianping consumeCoupon for Dianping coupons.
 * A repeated push delivers nothing again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseForm } from '../../src/dialects';
import { signedPyunPush } from '../../src/sandbox';
import { startOutboxWorker, type OutboxWorker } from '../../src/outbox/worker';
import { creds, pushedCoupon, startStack, type Stack } from '../support/stack';
import { until } from './rig';

let stack: Stack;
let worker: OutboxWorker;
before(async () => {
  stack = await startStack({
    extraYaml:
      'outbox: { retry_schedule_ms: [50, 100], jitter: 0, concurrency_per_destination: 4, poll_interval_ms: 20, lease_ms: 2000 }',
  });
  worker = startOutboxWorker(stack.running.rt);
});
after(async () => {
  await worker.stop(2000);
  await stack.close();
});

function push(fields: Record<string, unknown>) {
  const body = signedPyunPush(
    {
      park_uuid: 'park-p1',
      park_name: 'P云支付体验-停车场',
      parking_serial: '591668151763415041',
      pay_value: '100',
      pay_time: '1618994563000',
      plate: '川A660P1',
      channel: '200102',
      identity: '5aeV05nlt6/ig4LplITisYg=',
      ...fields,
    },
    creds.pyunUpstream.app_id,
    creds.pyunUpstream.app_secret,
  );
  return stack.post('/pyun/notify/payment', body, { 'content-type': 'application/x-www-form-urlencoded' });
}

const delivered = async (kind: string) =>
  (await stack.running.rt.store.listOutbox({ state: 'delivered' })).filter((i) => i.kind === kind);

describe('P1 notifications delivered by the outbox', () => {
  test('a pushed Tencent-claimed coupon reaches Tencent /coupon/status/rsync once, as used, with the stored seq_id', async () => {
    const claim = await stack.tencent('/tencent/sp/coupon/receive', {
      app_channel_id: 0,
      user_code: 'p1-user',
      stock_id: 'cb-demo-001',
      request_id: randomUUID().replace(/-/g, ''),
      extra: '{"plate":"川A660P1"}',
    });
    assert.equal(claim.json.code, 0, claim.body);
    const couponId = claim.json.data.coupon_id as string;
    const coupon = await stack.running.rt.store.getCoupon({ couponId });
    const paySerial = `PS-o-${Date.now()}`;
    const res = await push({
      pay_serial: paySerial,
      mcoupons: JSON.stringify([pushedCoupon(coupon!.grantSerial!, 'MC1')]),
    });
    assert.equal(res.json.code, '1001', res.body);
    await until(async () =>
      (await delivered('tencent.coupon_status_rsync')).some(
        (i) => (i.payload as { coupon_id: string }).coupon_id === couponId,
      ),
    );
    const row = (await delivered('tencent.coupon_status_rsync')).find(
      (i) => (i.payload as { coupon_id: string }).coupon_id === couponId,
    )!;
    const sent = stack.sandbox
      .requests({ target: 'tencent', path: '/coupon/status/rsync' })
      .filter((r) => r.fields?.coupon_id === couponId);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].answer?.body, '{"code":0,"message":"successful"}');
    assert.equal(sent[0].fields?.seq_id, row.dedupKey);
    assert.equal(sent[0].fields?.coupon_status, 2);
    assert.equal(sent[0].fields?.usage_time, '2021-04-21T16:42:43.000+08:00');

    assert.equal(
      (
        await push({
          pay_serial: paySerial,
          mcoupons: JSON.stringify([pushedCoupon(coupon!.grantSerial!, 'MC1')]),
        })
      ).json.code,
      '1001',
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      stack.sandbox
        .requests({ target: 'tencent', path: '/coupon/status/rsync' })
        .filter((r) => r.fields?.coupon_id === couponId).length,
      1,
    );
  });

  test('Dianping coupons of one order reach Dianping consumeCoupon once, orderId = pay_serial', async () => {
    const store = stack.running.rt.store;
    const tag = Date.now().toString(36).toUpperCase();
    for (const [code, value] of [
      [`DPA${tag}`, 500],
      [`DPB${tag}`, 300],
    ] as const) {
      await store.upsertCoupon(
        {
          id: `dp:${code}`,
          stockId: 'dianping',
          partner: 'pos-test',
          couponCode: code,
          grantSerial: `G-${code}`,
          faceValue: value,
          state: 'available',
        },
        { actor: 'test', at: new Date() },
      );
    }
    const paySerial = `PS-dp-${tag}`;
    const res = await push({
      pay_serial: paySerial,
      mcoupons: JSON.stringify([
        pushedCoupon(`G-DPA${tag}`, `DPA${tag}`),
        pushedCoupon(`G-DPB${tag}`, `DPB${tag}`),
      ]),
    });
    assert.equal(res.json.code, '1001', res.body);
    await until(async () =>
      (await delivered('dianping.consume_coupon')).some((i) => i.dedupKey === paySerial),
    );
    const sent = stack.sandbox
      .requests({ target: 'dianping', path: '/api/coupon/consumeCoupon' })
      .filter((r) => parseForm(r.body).orderId === paySerial);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].answer?.body, '{"status":"success"}');
    const f = parseForm(sent[0].body);
    assert.equal(f.couponCode, JSON.stringify([`DPA${tag}`, `DPB${tag}`]));
    assert.equal(f.payAmount, '1.00');
  });
});
