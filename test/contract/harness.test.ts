/**
 * The offline harness (src/contract/harness.ts): signed partner messages, fake upstreams that
 * record every request, seeded ledger state, notify rows delivered once, and determinism (a
 * fixed clock and counted random values give the same bytes on every run). Signatures are
 * checked with the sandbox's independent signer, not the dialect that made them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openOfflineRuntime, type OfflineRuntime } from '../../src/contract/harness';
import { contractUpstreams, testPartnerCredentials } from '../../src/contract/test-partners';
import { pyunFormSign, tencentSign } from '../../src/sandbox/signatures';
import { parseForm } from '../../src/dialects';
import { projectRoot } from '../../src/util/paths';
import { join } from 'node:path';

const NOW = new Date('2024-03-01T02:16:00.000Z');
const mappingsDir = join(projectRoot(), 'mappings');

async function withHarness(fn: (h: OfflineRuntime) => Promise<void>): Promise<void> {
  const h = await openOfflineRuntime({ mappingsDir, now: NOW });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const redeemSync = {
  app_channel_id: 0,
  user_code: 'u-contract',
  stock_id: 'cb-demo-001',
  coupon_id: 'C-CONTRACT-1',
  coupon_status: 2,
  usage_time: '2024-03-01T10:15:30.120+08:00',
  event_time: '2024-03-01T10:15:31.000+08:00',
};

test('signInbound signs as the default test partner with the fixed test secret', async () => {
  await withHarness(async (h) => {
    const raw = h.signInbound('tencent.coupon-status-rsync', { json: redeemSync });
    const body = JSON.parse(raw.body.toString()) as Record<string, unknown>;
    const creds = testPartnerCredentials('tencent-sp');
    assert.equal(body.api_key, creds.keyId);
    assert.equal(body.timestamp, '1709259360');
    assert.equal(body.nonce, '0000000000000002');
    assert.equal(body.seq_id, '00000000-0000-4000-8000-000000000001');
    const { sign, ...rest } = body;
    const wire = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)]));
    assert.equal(sign, tencentSign(wire, creds.secret).sign);
  });
});

test('signed: as-is keeps the fields exactly as given', async () => {
  await withHarness(async (h) => {
    const raw = h.signInbound('tencent.coupon-status-rsync', {
      json: { ...redeemSync, sign: 'NOTASIGNATURE' },
      signed: 'as-is',
    });
    assert.deepEqual(JSON.parse(raw.body.toString()), { ...redeemSync, sign: 'NOTASIGNATURE' });
    const r = await h.runInbound('tencent.coupon-status-rsync', raw);
    assert.equal(r.outbound.length, 0);
    assert.notEqual(JSON.parse(r.answer.body).code, 0);
  });
});

test('runInbound: a seeded coupon is redeemed at the fake P云, which records the signed request', async () => {
  await withHarness(async (h) => {
    await h.seedState({
      coupons: [
        {
          couponId: 'C-CONTRACT-1',
          grantSerial: 'G-CONTRACT-1',
          stockId: 'cb-demo-001',
          partner: 'tencent-sp',
          parkUuid: 'park-contract',
          faceValue: 700,
          state: 'available',
        },
      ],
    });
    h.onUpstream('pyun', () => ({ body: { code: '1001', message: '核销成功', seqno: 'seq-1' } }));
    const r = await h.runInbound(
      'tencent.coupon-status-rsync',
      h.signInbound('tencent.coupon-status-rsync', { json: redeemSync }),
    );
    assert.equal(r.answer.status, 200);
    assert.deepEqual(JSON.parse(r.answer.body), { code: 0, message: 'successful' });
    assert.equal(r.codeRow, '1001');
    assert.equal(r.outbound.length, 1);
    const o = r.outbound[0]!;
    assert.equal(o.method, 'POST');
    assert.equal(o.url, 'http://pyun.contract.test/gate/1.0/parking/internal/mcoupon/grant/sync');
    const form = parseForm(o.body!);
    assert.equal(form.grant_serial, 'G-CONTRACT-1');
    assert.equal(form.park_uuid, 'park-contract');
    assert.equal(form.coupon_value, '700');
    assert.equal(form.app_id, contractUpstreams.pyun.app_id);
    assert.equal(form.timestamp, '1709259360000');
    const { sign, ...rest } = form;
    assert.equal(sign, pyunFormSign(rest, contractUpstreams.pyun.app_secret).sign);
    const c = await h.rt.store.getCoupon({ couponId: 'C-CONTRACT-1' });
    assert.equal(c?.state, 'used');
  });
});

const seeded = {
  couponId: 'C-CONTRACT-1',
  grantSerial: 'G-1',
  stockId: 'cb-demo-001',
  partner: 'tencent-sp',
  parkUuid: 'park-contract',
  faceValue: 500,
  state: 'available' as const,
};

test('a fault of the fake upstream selects its code row; an unexpected call fails the exchange', async () => {
  await withHarness(async (h) => {
    await h.seedState({
      coupons: [seeded],
    });
    h.onUpstream('pyun', () => ({ fault: 'timeout' }));
    const raw = h.signInbound('tencent.coupon-status-rsync', { json: redeemSync });
    const r = await h.runInbound('tencent.coupon-status-rsync', raw);
    assert.equal(r.codeRow, 'timeout');
    assert.equal(r.outbound.length, 1);
    assert.equal(JSON.parse(r.answer.body).code, 500000);
  });
  await withHarness(async (h) => {
    await h.seedState({
      coupons: [seeded],
    });
    const r = await h.runInbound(
      'tencent.coupon-status-rsync',
      h.signInbound('tencent.coupon-status-rsync', { json: redeemSync }),
    );
    assert.equal(r.outbound.length, 1, 'the call is recorded');
    assert.notEqual(JSON.parse(r.answer.body).code, 0);
  });
});

test('runNotify: one delivery attempt, classified delivered / retry / dead by the code table', async () => {
  const payload = {
    park_uuid: 'park-contract',
    grant_serial: 'G-CONTRACT-9',
    status_time: '2024-03-01T02:00:00.000Z',
  };
  const outcomes: Record<string, string> = {};
  for (const [answer, want] of [
    ['1001', 'delivered'],
    ['1405', 'retry'],
    ['1003', 'dead'],
  ] as const) {
    await withHarness(async (h) => {
      h.onUpstream('pyun', () => ({ body: { code: answer, message: 'm' } }));
      const r = await h.runNotify('notify.pyun.grant-sync-expire.v1', payload, 'dedup-1');
      outcomes[answer] = r.outcome;
      assert.equal(r.codeRow, answer);
      assert.equal(r.outbound.length, 1);
      assert.equal(
        r.outbound[0]!.url,
        'http://pyun.contract.test/gate/1.0/parking/internal/mcoupon/grant/sync',
      );
      if (want !== 'delivered') assert.ok(r.reason);
    });
  }
  assert.deepEqual(outcomes, { '1001': 'delivered', '1405': 'retry', '1003': 'dead' });
});

test('the same case gives the same bytes on every run (fixed clock, counted nonces)', async () => {
  const payload = {
    app_channel_id: 0,
    user_code: 'u-contract',
    stock_id: 'cb-demo-001',
    coupon_id: 'C-1',
    coupon_status: 2,
    usage_time: '2024-03-01T10:15:30+08:00',
  };
  const bodies: string[] = [];
  for (let i = 0; i < 2; i++) {
    await withHarness(async (h) => {
      h.onUpstream('tencent', () => ({ body: { code: 0, message: 'successful' } }));
      const r = await h.runNotify('notify.tencent.coupon-status-rsync.v1', payload, 'seq-1');
      assert.equal(r.outcome, 'delivered');
      bodies.push(r.outbound[0]!.body!);
    });
  }
  assert.equal(bodies[0], bodies[1]);
  const sent = JSON.parse(bodies[0]!) as Record<string, unknown>;
  assert.equal(sent.seq_id, 'seq-1');
  assert.equal(sent.nonce, '0000000000000001');
  assert.equal(sent.timestamp, '1709259360');
});
