/**
 * What the generated contract checks found in the shipped schemas and mappings
 * (docs/generated-checks.md), pinned with literal messages so that each stays fixed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { openOfflineRuntime } from '../../src/contract/harness';
import { projectRoot } from '../../src/util/paths';
import { pushedCoupon } from '../support/stack';

const registry = loadSchemaRegistry();

function problems(id: string, fields: Record<string, unknown>, coerce = false): string[] {
  return registry.validate(id, fields, { coerce }).map((d) => `${d.path} ${d.rule}`);
}

const statusSync = {
  api_key: 'k',
  seq_id: 's',
  timestamp: 1700000000,
  nonce: 'n',
  sign: 'A'.repeat(32),
  app_channel_id: 0,
  user_code: 'u',
  stock_id: 's',
  coupon_id: 'c',
  coupon_status: 2,
};

test('Tencent business times must be real: no month 27, day 92, Feb 30 or offset +87:30', () => {
  const id = 'tencent/coupon-status-rsync.request';
  assert.deepEqual(problems(id, { ...statusSync, usage_time: '2024-02-29T10:15:30.120+08:00' }), []);
  for (const t of [
    '4918-85-47T67:51:80+69:30',
    '2024-02-30T10:00:00+08:00',
    '2024-04-31T10:00:00+08:00',
    '2024-03-01T10:00:00+87:30',
  ]) {
    assert.ok(
      problems(id, { ...statusSync, usage_time: t }).some((p) => p.startsWith('/usage_time')),
      t,
    );
  }
});

test('Dianping amounts have at most 2 significant decimals (分) and 13 integer digits', () => {
  const id = 'dianping/consume-coupon.request';
  const consume = {
    appkey: 'k',
    sign: 'A'.repeat(40),
    couponCode: 'DP1',
    shopName: 's',
    consumeTime: '1618994563000',
    orderId: 'o',
    orderAmount: '10.00',
    payAmount: '8.5000',
    freightFee: '0',
    attributes: '{}',
  };
  assert.deepEqual(problems(id, { ...consume }, true), []);
  for (const v of ['0.001', '12345678901234', '1.', '-1']) {
    assert.deepEqual(problems(id, { ...consume, freightFee: v }, true), ['/freightFee pattern'], v);
  }
});

test('P云 epoch milliseconds in a form: 13 digits without a leading 0', () => {
  const id = 'pyun/payment-push.request';
  const push = {
    app_id: 'a',
    sign_type: 'MD5',
    timestamp: '1618994563000',
    sign: 'A'.repeat(32),
    park_uuid: 'p',
    park_name: '',
    parking_serial: 'ps',
    pay_serial: 'PS',
    pay_value: '100',
    plate: '川A660P1',
    channel: 'c',
    identity: 'i',
  };
  assert.deepEqual(problems(id, { ...push, pay_time: '1618994563000' }, true), []);
  assert.deepEqual(problems(id, { ...push, pay_time: '0000000000000' }, true), ['/pay_time pattern']);
});

test('a Tencent stock sync with an empty required name is a schema error naming it', () => {
  const sync = {
    ...statusSync,
    app_id: 'wx',
    stock_name: '',
    instructions: 'i',
    coupon_name: 'c',
    coupon_desc: 'd',
    coupon_type: 1,
    max_coupons: 1,
    max_coupons_per_user: 1,
    available_begin_time: '2024-01-01T00:00:00+08:00',
    available_end_time: '2024-12-31T00:00:00+08:00',
    create_time: '2024-01-01T00:00:00+08:00',
    stock_status: 3,
  };
  assert.deepEqual(problems('tencent/stock-rsync.request', sync), ['/stock_name minLength']);
});

test('a P云 push for a Dianping coupon: an empty park_name and a quote in parking_serial still make a valid notification', async () => {
  const h = await openOfflineRuntime({
    mappingsDir: join(projectRoot(), 'mappings'),
    now: new Date('2026-06-01T02:00:00.000Z'),
  });
  try {
    await h.seedState({
      coupons: [
        {
          id: 'dianping:DP-QUOTE',
          couponCode: 'DP-QUOTE',
          grantSerial: 'G-QUOTE',
          stockId: 'contract-stock',
          partner: 'dianping-pos',
          state: 'available',
        },
      ],
    });
    const mcoupon = pushedCoupon('G-QUOTE', 'DP-QUOTE');
    const raw = h.signInbound('pyun.notify-payment', {
      form: {
        park_uuid: 'park-"7"',
        park_name: '',
        parking_serial: 'PS\\"1\u0001',
        pay_serial: 'PAY-QUOTE',
        pay_value: '100',
        pay_time: '1618994563000',
        plate: '川A660P1',
        channel: '200102',
        identity: 'id',
        mcoupons: JSON.stringify([mcoupon]),
      },
    });
    const r = await h.runInbound('pyun.notify-payment', raw);
    assert.equal(JSON.parse(r.answer.body).code, '1001', r.answer.body);
    const [item] = await h.rt.store.listOutbox({ state: 'pending' });
    const payload = item.payload as Record<string, unknown>;
    assert.equal(payload.shopName, 'park-"7"');
    assert.deepEqual(JSON.parse(String(payload.attributes)), {
      park_uuid: 'park-"7"',
      parking_serial: 'PS\\"1\u0001',
    });
  } finally {
    await h.close();
  }
});
