import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileExpression,
  compileFields,
  compileMapping,
  MappingError,
  type MapContext,
} from '../../src/mapping/compile';
import type { MappingDoc } from '../../src/mapping/types';

function ctx(over: Partial<MapContext> = {}): MapContext {
  return {
    in: {
      coupon_id: 'C1',
      coupon_status: 2,
      usage_time: '2020-07-20T13:29:35.120+08:00',
      nested: { amount: 1000 },
      list: [{ id: 'a' }],
    },
    stock: { park_uuid: 'P-stock', face_value_fen: 500 },
    partner: { id: 'sp', defaults: { park_uuid: 'P-partner' } },
    ctx: { now: new Date('2024-01-02T03:04:05.678Z') },
    ...over,
  };
}

describe('expressions', () => {
  test('reads nested and indexed source paths', () => {
    assert.equal(compileExpression('in.nested.amount', 'f')(ctx()), 1000);
    assert.equal(compileExpression({ from: 'in.list[0].id' }, 'f')(ctx()), 'a');
  });
  test('first takes the first non-empty alternative', () => {
    const e = compileExpression(
      { first: ['ledger.park_uuid', 'stock.park_uuid', 'partner.defaults.park_uuid'] },
      'park_uuid',
    );
    assert.equal(e(ctx()), 'P-stock');
    assert.equal(e(ctx({ stock: undefined })), 'P-partner');
  });
  test('a value map translates coupon_status 2 → 1 and refuses unknown values', () => {
    const e = compileExpression({ from: 'in.coupon_status', map: { '2': 1, '3': -2 } }, 'status');
    assert.equal(e(ctx()), 1);
    assert.throws(
      () => e(ctx({ in: { coupon_status: 4 } })),
      /status: value 4 is not in the value map \(2, 3\)/,
    );
    const d = compileExpression({ from: 'in.coupon_status', map: { '3': -2 }, map_default: 0 }, 'status');
    assert.equal(d(ctx()), 0);
  });
  test('converters: +08:00 → UTC Z, 元 → 分, JSON string encode/decode', () => {
    assert.equal(
      compileExpression({ from: 'in.usage_time', convert: 'to_utc' }, 'apply_time')(ctx()),
      '2020-07-20T05:29:35.120Z',
    );
    assert.equal(compileExpression({ const: '19.99', convert: 'yuan_to_fen' }, 'v')(ctx()), 1999);
    assert.equal(
      compileExpression({ from: 'in.nested', convert: 'json_encode' }, 'v')(ctx()),
      '{"amount":1000}',
    );
    assert.deepEqual(compileExpression({ const: '["DP85","DP95"]', convert: 'json_decode' }, 'v')(ctx()), [
      'DP85',
      'DP95',
    ]);
  });
  test('a converter failure names the field and the rule', () => {
    const e = compileExpression({ from: 'in.usage_time', convert: 'to_utc' }, 'apply_time');
    assert.throws(
      () => e(ctx({ in: { usage_time: 'yesterday' } })),
      (err: unknown) => {
        assert.ok(err instanceof MappingError);
        assert.match(err.message, /^apply_time: to_utc\(in.usage_time\): not an ISO-8601 time/);
        return true;
      },
    );
  });
  test('default and default_now fill an absent source', () => {
    assert.equal(compileExpression({ from: 'in.missing', default: 'x' }, 'f')(ctx()), 'x');
    assert.equal(
      compileExpression({ from: 'in.missing', convert: 'to_utc', default_now: 'utc' }, 'f')(ctx()),
      '2024-01-02T03:04:05.678Z',
    );
    assert.equal(
      compileExpression({ from: 'in.missing', default_now: 'epoch_ms' }, 'f')(ctx()),
      '1704164645678',
    );
  });
  test('a required field with no value fails naming where it looked', () => {
    const e = compileExpression({ first: ['ledger.face_value_fen', 'stock.face_value_fen'] }, 'coupon_value');
    assert.throws(
      () => e(ctx({ stock: undefined })),
      /coupon_value: no value \(from ledger.face_value_fen \| stock.face_value_fen\)/,
    );
  });
  test('optional fields are omitted when empty; templates interpolate', () => {
    const f = compileFields({
      a: { from: 'in.missing', optional: true },
      subject: { template: '【{in.coupon_id}】used at {stock.park_uuid}' },
    });
    assert.deepEqual(f(ctx()), { subject: '【C1】used at P-stock' });
  });
});

describe('compiled mapping', () => {
  const doc: MappingDoc = {
    $schema: 'x',
    id: 't',
    flow: 'translate',
    inbound: { dialect: 'tencent', path: '/t', schema: 's', answer_schema: 'a' },
    vars: { serial: { first: ['ledger.grant_serial', 'in.coupon_id'] } },
    branches: [
      {
        name: 'redeem',
        when: { 'in.coupon_status': 2 },
        fields: { grant_serial: 'ctx.serial', status: { const: 1 } },
      },
      { name: 'expire', when: { 'in.coupon_status': [3, '4'] }, fields: { status: { const: -2 } } },
    ],
    answer: {
      codes: {
        '1001': { success: true },
        default: { code: 500000, message: 'P云 {upstream.code}: {upstream.message}' },
      },
    },
  };
  const m = compileMapping(doc);
  test('chooses the first matching branch and evaluates vars first', () => {
    const c = ctx();
    m.vars(c);
    const b = m.selectBranch(c);
    assert.equal(b.name, 'redeem');
    assert.deepEqual(b.build(c), { grant_serial: 'C1', status: 1 });
    assert.equal(m.selectBranch(ctx({ in: { coupon_status: '4' } })).name, 'expire');
  });
  test('no matching branch is a precise mapping error', () => {
    assert.throws(
      () => m.selectBranch(ctx({ in: { coupon_status: 1 } })),
      /no branch matches this message \(redeem: in.coupon_status=2; expire: in.coupon_status=3\|4\)/,
    );
  });
  test('the code table renders message templates', () => {
    assert.equal(m.code('1500'), undefined);
    const d = m.code('default')!;
    assert.equal(d.render({ upstream: { code: '1500', message: '内部错误' } }), 'P云 1500: 内部错误');
    assert.equal(m.code('1001')!.success, true);
  });
});
