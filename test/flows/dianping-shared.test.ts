/**
 * The Dianping consume flows' pure pieces: couponCode parsing, exact 元 → 分 amounts with the
 * discount, each code's share, and the order details the ledger keeps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CbError } from '../../src/errors';
import {
  couponCodes,
  orderAmounts,
  orderDetails,
  sharesOf,
  singleCode,
} from '../../src/flows/dianping-shared';

function refusal(fn: () => unknown, detail: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof CbError && e.code === 'CB_SCHEMA_INVALID' && detail.test(e.detail),
  );
}

describe('couponCodes', () => {
  test('reads one bare code and a JSON list in its order', () => {
    assert.deepEqual(couponCodes('DP85'), ['DP85']);
    assert.deepEqual(couponCodes('["DP85","DP95"]'), ['DP85', 'DP95']);
    assert.deepEqual(couponCodes(' ["DP95", "DP85"]'), ['DP95', 'DP85']);
  });

  test('refuses an empty list, a non-string entry, broken JSON and a code listed twice', () => {
    refusal(() => couponCodes('[]'), /^couponCode: expected one code or a JSON list/);
    refusal(() => couponCodes('["DP1",2]'), /^couponCode: expected one code/);
    refusal(() => couponCodes('["DP1",'), /^couponCode: not a JSON list/);
    refusal(() => couponCodes('["DP1","DP2","DP1"]'), /^couponCode: DP1 is listed twice$/);
  });

  test('singleCode refuses a list of two', () => {
    assert.equal(singleCode('["DP1"]'), 'DP1');
    refusal(() => singleCode('["DP1","DP2"]'), /takes one coupon code, got 2/);
  });
});

describe('orderAmounts', () => {
  test('converts 元 to 分 exactly: 19.99 + 0 − 9.99 = 1000', () => {
    assert.deepEqual(orderAmounts({ orderAmount: '19.99', freightFee: '0', payAmount: '9.99' }), {
      orderAmountFen: 1999,
      payAmountFen: 999,
      freightFeeFen: 0,
      discountFen: 1000,
    });
  });

  test('0.1 + 0.2 − 0 is 30 分, not a float', () => {
    assert.equal(orderAmounts({ orderAmount: '0.1', freightFee: '0.2', payAmount: '0' }).discountFen, 30);
  });

  test('a missing freightFee is 0 and a missing orderAmount leaves the discount unknown', () => {
    assert.equal(orderAmounts({ orderAmount: '5', payAmount: '1.5' }).discountFen, 350);
    assert.deepEqual(orderAmounts({ payAmount: '1.5' }), { payAmountFen: 150, freightFeeFen: 0 });
  });

  test('refuses a negative discount naming payAmount', () => {
    refusal(
      () => orderAmounts({ orderAmount: '1.00', freightFee: '0.50', payAmount: '1.51' }),
      /^payAmount: 1\.51 exceeds orderAmount \+ freightFee \(1\.00 \+ 0\.50\): the discount would be -0\.01$/,
    );
  });

  test('refuses a malformed or over-precise amount naming its field', () => {
    refusal(
      () => orderAmounts({ orderAmount: '1.001', payAmount: '0' }),
      /^orderAmount: amount has more than 2 decimal places/,
    );
    refusal(
      () => orderAmounts({ orderAmount: '1', freightFee: 'abc', payAmount: '0' }),
      /^freightFee: not a decimal amount/,
    );
    refusal(
      () => orderAmounts({ orderAmount: '1', payAmount: '-1' }),
      /^payAmount: amount must not be negative/,
    );
    refusal(() => orderAmounts({ orderAmount: '1' }), /^payAmount: required$/);
  });
});

describe('sharesOf', () => {
  test('splits the discount with the remainder on the first code', () => {
    assert.deepEqual(sharesOf([undefined, undefined, undefined], 1000), [334, 333, 333]);
    assert.deepEqual(sharesOf([undefined, undefined], 1), [1, 0]);
  });

  test('uses the face values only when the ledger knows every one', () => {
    assert.deepEqual(sharesOf([700, 300], 1), [700, 300]);
    assert.deepEqual(sharesOf([700, undefined], 1001), [501, 500]);
  });

  test('needs the discount when a face value is unknown', () => {
    refusal(() => sharesOf([700, undefined], undefined), /^orderAmount: required to compute the discount/);
  });
});

describe('orderDetails', () => {
  test('keeps the amounts in 分 and the attributes decoded, leaving out what is absent', () => {
    const f = { shopName: 'S', consumeTime: 1709259330120, attributes: '{"a":1}' };
    assert.deepEqual(orderDetails(f, { payAmountFen: 10, freightFeeFen: 0 }), {
      shopName: 'S',
      consumeTime: 1709259330120,
      attributes: { a: 1 },
      payAmountFen: 10,
      freightFeeFen: 0,
    });
  });

  test('refuses attributes that are not a JSON object', () => {
    refusal(
      () => orderDetails({ attributes: '[1]' }, { payAmountFen: 0, freightFeeFen: 0 }),
      /^attributes: expected a JSON object$/,
    );
  });
});
