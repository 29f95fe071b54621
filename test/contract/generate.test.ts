import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { codePointLength, messageArbitraries, type GeneratedMessage } from '../../src/contract/generate';

const registry = loadSchemaRegistry();

/** Every inbound request schema a shipped mapping names, with its transport. */
const INBOUND: Array<[string, boolean]> = [
  ...['coupon-batch-deactivate', 'coupon-deactivate', 'coupon-receive', 'coupon-rsync']
    .concat(['coupon-status-rsync', 'stock-query', 'stock-rsync', 'stock-status-rsync'])
    .map((m): [string, boolean] => [`tencent/${m}.request`, false]),
  ['pyun/payment-push.request', true],
  ...['consume-coupon', 'consume-core-coupon', 'consume-extend-coupon', 'consume-coupon-order'].map(
    (m): [string, boolean] => [`dianping/${m}.request`, true],
  ),
];

/** The common parameters the signer adds, so that the schema sees a whole message. */
function whole(id: string, fields: Record<string, unknown>, form: boolean): Record<string, unknown> {
  const common: Record<string, unknown> = id.startsWith('tencent/')
    ? { api_key: 'k', seq_id: 's', timestamp: 1700000000, nonce: 'n', sign: 'A'.repeat(32) }
    : id.startsWith('pyun/')
      ? { app_id: 'a', sign_type: 'MD5', timestamp: '1700000000000', sign: 'A'.repeat(32) }
      : { appkey: 'k', sign: 'A'.repeat(40) };
  const all = { ...common, ...fields };
  if (!form) return structuredClone(all);
  // a form carries strings: what the encoder sends for each value
  return Object.fromEntries(
    Object.entries(all).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

function sample(arb: fc.Arbitrary<GeneratedMessage>, numRuns: number, seed = 42): GeneratedMessage[] {
  return fc.sample(arb, { seed, numRuns });
}

describe('generated messages against the shipped schemas', () => {
  for (const [id, form] of INBOUND) {
    test(`${id}: valid and boundary messages are valid, every near-miss is invalid where it says`, () => {
      const a = messageArbitraries(registry, id, { form });
      for (const m of sample(fc.oneof(a.valid, a.boundary), 60)) {
        assert.deepEqual(
          registry.validate(id, whole(id, m.fields, form), { coerce: form }),
          [],
          `${m.kind} ${JSON.stringify(m.fields)}`,
        );
      }
      for (const m of sample(a.nearMiss, 60)) {
        const diags = registry.validate(id, whole(id, m.fields, form), { coerce: form });
        assert.ok(
          diags.length > 0,
          `near-miss accepted by the schema: ${m.breaks} ${JSON.stringify(m.fields)}`,
        );
        // the label names the top-level field the schema complains about
        const field = /^[A-Za-z_]+/.exec(m.breaks)![0];
        const at = field === 'x_unknown' ? '' : `/${field}`;
        assert.ok(
          diags.some((d) => d.path.startsWith(at)),
          `${m.breaks}: diagnostics at ${diags.map((d) => d.path).join(', ')}`,
        );
      }
    });
  }
});

describe('what the generator covers', () => {
  test('the near-misses of a small schema, by label', () => {
    const a = messageArbitraries(registry, 'tencent/stock-query.request', { form: false });
    assert.deepEqual(a.breakLabels, [
      'stock_id: required, absent',
      'stock_id: maxLength 30 exceeded',
      'stock_id: shorter than minLength 1',
      'stock_id: wrong type (not string)',
      'extra: maxLength 128 exceeded',
      'extra: wrong type (not string)',
    ]);
  });

  test('near-misses inside JSON-string fields and closed nested objects', () => {
    const push = messageArbitraries(registry, 'pyun/payment-push.request', { form: true }).breakLabels;
    for (const label of [
      'mcoupons: not JSON',
      'mcoupons (decoded): maxItems 100 exceeded',
      'mcoupons (decoded)[0].grant_serial: required, absent',
      'mcoupons (decoded)[0].coupon_type: not in enum [1,2,3,4,5,6]',
      'pay_value: not a number',
    ]) {
      assert.ok(push.includes(label), label);
    }
    const consume = messageArbitraries(registry, 'dianping/consume-coupon.request', {
      form: true,
    }).breakLabels;
    assert.ok(consume.includes('couponCode (decoded): fewer than minItems 1'));
    assert.ok(consume.includes('couponCode: not JSON'));
    const rsync = messageArbitraries(registry, 'tencent/coupon-rsync.request', { form: false }).breakLabels;
    assert.ok(rsync.includes('fixed_normal_coupon.x_unknown: not allowed (closed object)'));
    assert.ok(rsync.includes('discount_coupon.discount_percent: above maximum 100'));
  });

  test('boundary messages reach the length, enum and optional-field edges', () => {
    const a = messageArbitraries(registry, 'tencent/coupon-status-rsync.request', { form: false });
    const ms = sample(a.boundary, 200).map((m) => m.fields);
    const lengths = new Set(ms.map((f) => codePointLength(String(f.user_code))));
    assert.ok(lengths.has(1) && lengths.has(32), `user_code lengths ${[...lengths].join(',')}`);
    assert.ok(!ms.some((f) => codePointLength(String(f.user_code)) > 32));
    const statuses = new Set(ms.map((f) => f.coupon_status));
    assert.deepEqual([...statuses].sort(), [1, 3]);
    const optional = ['mobile_phone', 'usage_time', 'event_time', 'version', 'extra'];
    assert.ok(
      ms.some((f) => optional.every((k) => !(k in f))),
      'every optional field absent',
    );
    assert.ok(
      ms.some((f) => optional.every((k) => k in f)),
      'every optional field present',
    );
    assert.ok(ms.some((f) => f.app_channel_id === Number.MAX_SAFE_INTEGER));
  });

  test('JSON-string fields carry their decoded content; a Dianping couponCode is a code or a JSON list', () => {
    const push = messageArbitraries(registry, 'pyun/payment-push.request', { form: true });
    const withCoupons = sample(push.valid, 100).filter((m) => 'mcoupons' in m.fields);
    assert.ok(withCoupons.length > 0);
    for (const m of withCoupons) assert.ok(Array.isArray(JSON.parse(String(m.fields.mcoupons))));
    const consume = messageArbitraries(registry, 'dianping/consume-coupon.request', { form: true });
    const codes = sample(consume.valid, 100).map((m) => String(m.fields.couponCode));
    assert.ok(codes.some((c) => c.startsWith('[')) && codes.some((c) => !c.startsWith('[')));
  });

  test('a free-text field draws from its schema examples (the claim extra carries a plate)', () => {
    const a = messageArbitraries(registry, 'tencent/coupon-receive.request', { form: false });
    const extras = sample(a.valid, 200).map((m) => m.fields.extra);
    assert.ok(extras.includes('{"plate":"川A660P1"}'));
  });

  test('the same seed gives the same messages', () => {
    const a = messageArbitraries(registry, 'tencent/coupon-rsync.request', { form: false });
    assert.deepEqual(sample(a.nearMiss, 20, 7), sample(a.nearMiss, 20, 7));
    assert.notDeepEqual(sample(a.valid, 20, 7), sample(a.valid, 20, 8));
  });
});
