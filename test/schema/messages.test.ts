// The message schemas' rules, seen through SchemaRegistry.validate: required fields, enums,
// maximum lengths, time formats, form coercion and the JSON-string fields.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostics, loadSchemaRegistry } from '../../src/schema/registry';

const registry = loadSchemaRegistry();

function check(id: string, data: unknown, coerce = false): string {
  return formatDiagnostics(registry.validate(id, data, { coerce }));
}

const tencentCommon = {
  api_key: 'PSUBZLHOKUO6HV52A5CAUSSE5KSB6Y',
  seq_id: '38d42bd9-9f5a-415e-89d9-ea4ff9cffdf2',
  timestamp: '1572342076',
  nonce: '157234207',
  sign: '8A983278E5366EB93FEB0D4143E1C522',
};

const statusSync = {
  ...tencentCommon,
  app_channel_id: 1,
  user_code: 'udxbxd',
  stock_id: 'test001',
  coupon_id: '1234567',
  coupon_status: 2,
  usage_time: '2020-07-20T13:29:35.120+08:00',
};

const STATUS_SYNC = 'tencent/coupon-status-rsync.request';

describe('tencent messages', () => {
  test('accept a complete coupon status sync', () => {
    assert.equal(check(STATUS_SYNC, statusSync), '');
  });

  test('rejects a message missing a required field, naming it', () => {
    const { coupon_id: _dropped, ...rest } = statusSync;
    assert.equal(check(STATUS_SYNC, rest), '/coupon_id: is required');
  });

  test('rejects a message missing a common parameter, naming it', () => {
    const { nonce: _dropped, ...rest } = statusSync;
    assert.equal(check(STATUS_SYNC, rest), '/nonce: is required');
  });

  test('rejects a coupon_status outside the enum and lists the allowed values', () => {
    assert.equal(
      check(STATUS_SYNC, { ...statusSync, coupon_status: 4 }),
      '/coupon_status: must be equal to one of the allowed values (1, 2, 3)',
    );
    assert.equal(
      check('tencent/coupon-deactivate.request', { ...statusSync, coupon_status: 2 }),
      '/coupon_status: must be equal to one of the allowed values (3, 4)',
    );
  });

  test('enforces the seed maximum lengths', () => {
    assert.equal(check(STATUS_SYNC, { ...statusSync, stock_id: 'x'.repeat(30) }), '');
    assert.equal(
      check(STATUS_SYNC, { ...statusSync, stock_id: 'x'.repeat(31) }),
      '/stock_id: must NOT have more than 30 characters',
    );
    assert.equal(
      check(STATUS_SYNC, { ...statusSync, coupon_id: 'c'.repeat(21) }),
      '/coupon_id: must NOT have more than 20 characters',
    );
    assert.equal(
      check('tencent/coupon-deactivate.request', {
        ...statusSync,
        coupon_status: 3,
        coupon_id: 'c'.repeat(32),
      }),
      '',
    );
  });

  test('accepts business times with or without milliseconds and any offset', () => {
    for (const t of [
      '2020-07-20T13:29:35.120+08:00',
      '2020-07-20T13:29:35+08:00',
      '2020-07-20T05:29:35.1-05:30',
    ]) {
      assert.equal(check(STATUS_SYNC, { ...statusSync, usage_time: t }), '', t);
    }
  });

  test('rejects business times without an offset or in another layout', () => {
    for (const t of ['2020-07-20T05:29:35.120Z', '2020-07-20 13:29:35', '2020-07-20T13:29:35.120+0800']) {
      assert.match(
        check(STATUS_SYNC, { ...statusSync, usage_time: t }),
        /^\/usage_time: must match pattern/,
        t,
      );
    }
  });

  test('accepts a timestamp in seconds or milliseconds, as a string or a number', () => {
    for (const timestamp of ['1572342076', '1572342076123', 1572342076, 1572342076123]) {
      assert.equal(check(STATUS_SYNC, { ...statusSync, timestamp }), '', String(timestamp));
    }
    assert.match(
      check(STATUS_SYNC, { ...statusSync, timestamp: '15723420' }),
      /^\/timestamp: must match pattern/,
    );
  });

  test('allows unknown extra top-level fields', () => {
    assert.equal(check(STATUS_SYNC, { ...statusSync, slat: '39.998299' }), '');
  });

  test('does not treat app_channel_id as an enum', () => {
    assert.equal(check(STATUS_SYNC, { ...statusSync, app_channel_id: 7 }), '');
  });

  const batch = {
    ...tencentCommon,
    app_channel_id: 1,
    user_code: 'udxbxd',
    coupon_status: 3,
    coupons: [{ stock_id: 'test001', coupon_id: '123456789' }],
  };

  test('accepts at most 10 coupons in a batch deactivation', () => {
    const coupons = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ stock_id: 's', coupon_id: `c${i}` }));
    assert.equal(check('tencent/coupon-batch-deactivate.request', { ...batch, coupons: coupons(10) }), '');
    assert.equal(
      check('tencent/coupon-batch-deactivate.request', { ...batch, coupons: coupons(11) }),
      '/coupons: must NOT have more than 10 items',
    );
    assert.equal(
      check('tencent/coupon-batch-deactivate.request', { ...batch, coupons: [] }),
      '/coupons: must NOT have fewer than 1 items',
    );
  });

  test('rejects unknown and missing fields inside a batch entry, with the entry index', () => {
    assert.equal(
      check('tencent/coupon-batch-deactivate.request', {
        ...batch,
        coupons: [{ stock_id: 's', plate: 'x' }],
      }),
      '/coupons/0/coupon_id: is required; /coupons/0/plate: is not allowed here (unknown property)',
    );
  });

  test('requires transaction_minimum in a claim answer but not in a stock sync', () => {
    const discount = { discount_amount_max: 1000, discount_percent: 88 };
    const answer = {
      code: 0,
      message: 'successful',
      data: {
        app_id: 'wx1111111111',
        stock_id: 'test001',
        coupon_id: '123456789',
        coupon_type: 3,
        discount_coupon: discount,
        available_begin_time: '2020-07-05T13:29:35.120+08:00',
        available_end_time: '2020-07-30T23:59:59.120+08:00',
        receive_time: '2020-07-30T23:59:59.120+08:00',
        coupon_status: 1,
      },
    };
    assert.equal(
      check('tencent/coupon-receive.response', answer),
      '/data/discount_coupon/transaction_minimum: is required',
    );
    assert.equal(check('tencent/coupon-rsync.request', { ...statusSync, ...answer.data, app_id: 'wx1' }), '');
  });

  test('caps the answer message at 64 characters', () => {
    assert.equal(
      check('tencent/stock-rsync.response', { code: 400000, message: 'm'.repeat(65) }),
      '/message: must NOT have more than 64 characters',
    );
  });
});

const redeemForm = {
  sign: '44CAF15ED1CDED9D5072F83A9997775F',
  park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
  grant_serial: '6020231117153244nullnull00002',
  status: '1',
  apply_status: '1',
  coupon_value: '0',
  apply_value: '100',
  apply_time: '2023-11-17T07:32:49Z',
};

describe('pyun messages', () => {
  test('coerces form strings to integers in place', () => {
    const form: Record<string, unknown> = { ...redeemForm };
    assert.equal(check('pyun/grant-sync-redeem.request', form, true), '');
    assert.equal(form.status, 1);
    assert.equal(form.apply_value, 100);
  });

  test('rejects form strings when coercion is off', () => {
    assert.match(check('pyun/grant-sync-redeem.request', redeemForm), /^\/status: must be integer;/);
  });

  test('rejects a redeem whose status is not 1 and an amount that is not an integer', () => {
    assert.equal(
      check('pyun/grant-sync-redeem.request', { ...redeemForm, status: '-2', apply_value: '1.5' }, true),
      '/status: must be equal to 1; /apply_value: must be integer',
    );
  });

  test('accepts the expire form with status -2 and rejects it without status_desc', () => {
    const expire = {
      app_id: 'op74061a7d244f7b7',
      timestamp: '1700206369000',
      sign_type: 'MD5',
      sign: '44CAF15ED1CDED9D5072F83A9997775F',
      park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
      grant_serial: 'G1',
      status: '-2',
      status_desc: '已过期',
      status_time: '2023-11-17T07:32:49.120Z',
    };
    assert.equal(check('pyun/grant-sync-expire.request', { ...expire }, true), '');
    const { status_desc: _dropped, ...rest } = expire;
    assert.equal(check('pyun/grant-sync-expire.request', rest, true), '/status_desc: is required');
  });

  test('wants UTC times ending in Z', () => {
    assert.match(
      check(
        'pyun/grant-sync-redeem.request',
        { ...redeemForm, apply_time: '2023-11-17T15:32:49+08:00' },
        true,
      ),
      /^\/apply_time: must match pattern ".*" — UTC ISO-8601 ending in Z/,
    );
  });

  test('accepts only MD5 as sign_type', () => {
    assert.equal(
      check('pyun/grant-sync-redeem.request', { ...redeemForm, sign_type: 'SHA1' }, true),
      '/sign_type: must be equal to one of the allowed values ("MD5")',
    );
  });

  const event = {
    app_id: 'op74061a7d244f7b7',
    api_store_code: '4911419421',
    api_type: 'charging',
    event_id: 'E1',
    plate: '粤BD07627',
    subject: '【粤BD07627】充电 29 分钟',
    sign: '756E3F88FBDB2B82E0A6C37C5EE060E5',
  };

  test('accepts metadata whose decoded content is a map of EventMetadata', () => {
    const metadata = JSON.stringify({ charging: { name: '充电时长', value: 29 } });
    assert.equal(check('pyun/mcoupon-event.request', { ...event, metadata }, true), '');
  });

  test('rejects metadata that is not JSON', () => {
    const d = registry.validate(
      'pyun/mcoupon-event.request',
      { ...event, metadata: '{charging:29}' },
      { coerce: true },
    );
    assert.deepEqual(d, [
      {
        path: '/metadata',
        rule: 'contentMediaType',
        message: 'must be a valid JSON text (application/json)',
      },
    ]);
  });

  test('rejects metadata with the wrong decoded shape, pointing inside the decoded value', () => {
    const metadata = JSON.stringify({
      charging: { name: '充电时长', value: 2.5, unit: 'min' },
      other: { value: 1 },
    });
    assert.equal(
      check('pyun/mcoupon-event.request', { ...event, metadata }, true),
      '/metadata (decoded)/charging/unit: is not allowed here (unknown property); /metadata (decoded)/charging/value: must be integer; /metadata (decoded)/other/name: is required',
    );
  });

  test('rejects an EventMetadata value outside int32 even in a JSON body', () => {
    const metadata = JSON.stringify({ k: { name: 'n', value: 2 ** 31 } });
    assert.equal(
      check('pyun/mcoupon-event.request', { ...event, metadata }),
      '/metadata (decoded)/k/value: must be <= 2147483647',
    );
  });

  const push = {
    app_id: 'op00961963581daa7',
    sign_type: 'MD5',
    timestamp: '1618994562891',
    sign: 'B1BAA9B6C83DB3E0C50F84B7B54AC848',
    park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
    park_name: 'P云支付体验-停车场',
    parking_serial: '591668151763415041',
    pay_serial: '20210421164242075523115813',
    pay_value: '100',
    pay_time: '1618994563000',
    plate: '川A660P1',
    channel: '200102',
    identity: '5aeV05nlt6/ig4LplITisYg=',
  };
  const mcoupon = {
    coupon_name: '10元停车券',
    coupon_code: '0x01',
    store_name: '肯德基',
    store_code: '0x02',
    coupon_type: '1',
    coupon_value: '1000',
    grant_time: '1618994000000',
    grant_serial: 'G1',
  };

  test('accepts mcoupons entries, numbers included when coercing, and ISO grant times', () => {
    const mcoupons = JSON.stringify([
      mcoupon,
      { ...mcoupon, coupon_type: 2, coupon_value: 60, grant_time: '2021-04-21T08:00:00Z' },
    ]);
    assert.equal(check('pyun/payment-push.request', { ...push, mcoupons }, true), '');
  });

  test('rejects an mcoupons entry with an unknown DiscountType or a missing grant_serial', () => {
    const { grant_serial: _dropped, ...rest } = mcoupon;
    const mcoupons = JSON.stringify([{ ...mcoupon, coupon_type: '7' }, rest]);
    assert.equal(
      check('pyun/payment-push.request', { ...push, mcoupons }, true),
      '/mcoupons (decoded)/0/coupon_type: must be equal to one of the allowed values ("1", "2", "3", "4", "5", "6"); /mcoupons (decoded)/1/grant_serial: is required',
    );
  });

  test('rejects discounts that decode to an object instead of a list', () => {
    assert.equal(
      check('pyun/payment-push.request', { ...push, discounts: '{}' }, true),
      '/discounts (decoded): must be array',
    );
  });

  test('reports only the type when a JSON-string field is not a string', () => {
    assert.equal(
      check('pyun/payment-push.request', { ...push, discounts: [] }, true),
      '/discounts: must be string',
    );
  });
});

const consume = {
  appkey: 'XXXXXXXX',
  sign: '7D78381BC58E1DB1DBA4BD965916FE6B4D5DC892',
  couponCode: 'DP85',
  shopName: '停车场',
  consumeTime: '1618994563000',
  orderId: 'O1',
  orderAmount: '12.50',
  payAmount: '10',
  freightFee: '0',
  attributes: '{"plate":"川A660P1"}',
};

describe('dianping messages', () => {
  test('accepts a single coupon code without decoding it', () => {
    assert.equal(check('dianping/consume-coupon.request', { ...consume }, true), '');
  });

  test('accepts a JSON list of coupon codes', () => {
    assert.equal(
      check('dianping/consume-coupon.request', { ...consume, couponCode: '["DP85","DP95"]' }, true),
      '',
    );
  });

  test('rejects a coupon code list that is not JSON or is empty', () => {
    assert.equal(
      check('dianping/consume-coupon.request', { ...consume, couponCode: '["DP85",' }, true),
      '/couponCode: must be a valid JSON text (application/json)',
    );
    assert.equal(
      check('dianping/consume-coupon.request', { ...consume, couponCode: '[]' }, true),
      '/couponCode (decoded): must NOT have fewer than 1 items',
    );
  });

  test('keeps amounts in 元 as text while coercing the form', () => {
    const form: Record<string, unknown> = { ...consume };
    assert.equal(check('dianping/consume-coupon.request', form, true), '');
    assert.equal(form.orderAmount, '12.50');
    assert.equal(form.consumeTime, 1618994563000);
    assert.equal(
      check('dianping/consume-coupon.request', { ...consume, consumeTime: 1618994563000, payAmount: 10.5 }),
      '',
    );
  });

  test('rejects an amount that is not a decimal', () => {
    assert.match(
      check('dianping/consume-coupon.request', { ...consume, payAmount: '10,5' }, true),
      /^\/payAmount: must match pattern/,
    );
  });

  test('rejects attributes that do not decode to a map', () => {
    assert.equal(
      check('dianping/consume-coupon.request', { ...consume, attributes: '["plate"]' }, true),
      '/attributes (decoded): must be object',
    );
    assert.equal(
      check('dianping/consume-coupon.request', { ...consume, attributes: 'plate=x' }, true),
      '/attributes: must be a valid JSON text (application/json)',
    );
  });

  test('wants appkey or app_key and says so in one diagnostic', () => {
    const { appkey: _dropped, ...rest } = consume;
    assert.equal(
      check('dianping/consume-coupon.request', rest, true),
      '/: must satisfy one of: (/appkey: is required) or (/app_key: is required)',
    );
    assert.equal(check('dianping/consume-coupon.request', { ...rest, app_key: 'k' }, true), '');
  });

  test('lets consumeCouponOrder omit couponCode, orderAmount, freightFee and attributes', () => {
    const { couponCode: _c, orderAmount: _o, freightFee: _f, attributes: _a, ...rest } = consume;
    assert.equal(check('dianping/consume-coupon-order.request', rest, true), '');
    assert.equal(check('dianping/consume-coupon.request', rest, true).split('; ').length, 4);
  });

  test('requires code and message on an error answer only', () => {
    assert.equal(check('dianping/consume-coupon.response', { status: 'success' }), '');
    assert.equal(
      check('dianping/consume-coupon.response', { status: 'error' }),
      '/code: is required; /message: is required',
    );
    assert.equal(
      check('dianping/consume-coupon.response', { status: 'ok' }),
      '/status: must be equal to one of the allowed values ("success", "error")',
    );
  });
});
