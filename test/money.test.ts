import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fenToYuan, splitFen, toFen, yuanToFen, MoneyError } from '../src/money';

describe('yuanToFen', () => {
  test('converts decimals exactly, where float multiplication would not', () => {
    assert.equal(19.99 * 100 === 1999, false); // the float trap this module exists for
    assert.equal(yuanToFen('19.99'), 1999);
    assert.equal(yuanToFen(19.99), 1999);
    assert.equal(yuanToFen('0.1'), 10);
    assert.equal(yuanToFen('100'), 10000);
    assert.equal(yuanToFen('0'), 0);
    assert.equal(yuanToFen('.5'), 50);
    assert.equal(yuanToFen(' 12.30 '), 1230);
  });
  test('accepts exponent notation and large values', () => {
    assert.equal(yuanToFen(1e6), 100000000);
    assert.equal(yuanToFen('1e6'), 100000000);
    assert.equal(yuanToFen('1.5e1'), 1500);
    assert.equal(yuanToFen('1999e-2'), 1999);
  });
  test('rejects 0.1 + 0.2, which is not a 分 amount', () => {
    assert.throws(() => yuanToFen(0.1 + 0.2), /more than 2 decimal places/);
  });
  test('accepts trailing zeros beyond two places', () => {
    assert.equal(yuanToFen('1.2300'), 123);
  });
  test('rejects negative amounts unless allowed', () => {
    assert.throws(() => yuanToFen('-1.00'), /must not be negative/);
    assert.equal(yuanToFen('-1.05', { allowNegative: true }), -105);
    assert.equal(yuanToFen('-0'), 0);
  });
  test('rejects malformed input with a message naming it', () => {
    for (const bad of ['', 'abc', '1.2.3', '1,00', '¥5', null, undefined, {}, NaN, Infinity, '1e400']) {
      assert.throws(() => yuanToFen(bad), MoneyError, `should reject ${String(bad)}`);
    }
  });
  test('rejects a sign, a point or an exponent that has no digits', () => {
    for (const bad of [
      '+',
      '-',
      '.',
      '+.',
      '-.',
      'e',
      'e5',
      '1e',
      '1E',
      '1e+',
      '1e-',
      '.e1',
      '+e1',
      '-e-1',
      '1.',
    ]) {
      assert.throws(() => yuanToFen(bad, { allowNegative: true }), MoneyError, `should reject "${bad}"`);
    }
    assert.throws(() => yuanToFen('+'), { message: 'not a decimal amount: "+"' });
    assert.throws(() => yuanToFen('1e'), { message: 'not a decimal amount: "1e"' });
    // the digits that make them amounts
    assert.equal(yuanToFen('+5'), 500);
    assert.equal(yuanToFen('-.5', { allowNegative: true }), -50);
    assert.equal(yuanToFen('1e0'), 100);
    assert.equal(yuanToFen('1E+1'), 1000);
  });
  test('reads exponents of more than one digit and zero written with an exponent', () => {
    assert.equal(yuanToFen('1e10'), 1000000000000);
    assert.equal(yuanToFen('12340e-03'), 1234);
    assert.equal(yuanToFen('0e15'), 0);
    assert.equal(yuanToFen('0e-3'), 0);
  });
  test('refuses an amount beyond a safe integer of 分, however it is written', () => {
    assert.equal(yuanToFen('90071992547409.91'), 9007199254740991);
    assert.throws(() => yuanToFen('90071992547409.92'), {
      name: 'MoneyError',
      message: 'amount too large: "90071992547409.92"',
    });
    // an exponent this size must be refused before any arithmetic, not run out of memory
    assert.throws(() => yuanToFen('1e10000000000'), { message: 'amount too large: "1e10000000000"' });
    assert.throws(() => yuanToFen('1e16'), { message: 'amount too large: "1e16"' });
  });
  test('names what it refuses', () => {
    assert.throws(() => yuanToFen(''), { name: 'MoneyError', message: 'not an amount: ""' });
    assert.throws(() => yuanToFen('  '), { message: 'not an amount: "  "' });
    assert.throws(() => yuanToFen(null), { message: 'not an amount: null' });
    assert.throws(() => yuanToFen(Infinity), { message: 'not a finite amount: Infinity' });
    assert.throws(() => yuanToFen('1.234'), {
      message: 'amount has more than 2 decimal places (分 precision): "1.234"',
    });
    assert.throws(() => yuanToFen('-0.01'), { message: 'amount must not be negative: "-0.01"' });
  });
  test('round-trips every integer 分 amount through 元 text', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (fen) => {
        assert.equal(yuanToFen(fenToYuan(fen), { allowNegative: true }), fen);
      }),
    );
  });
});

describe('fenToYuan and helpers', () => {
  test('formats two decimals', () => {
    assert.equal(fenToYuan(1999), '19.99');
    assert.equal(fenToYuan(5), '0.05');
    assert.equal(fenToYuan(-5), '-0.05');
    assert.equal(fenToYuan(100000000), '1000000.00');
    assert.equal(fenToYuan(0), '0.00');
    assert.throws(() => fenToYuan(1.5), { name: 'MoneyError', message: '分 must be a safe integer: 1.5' });
  });
  test('toFen accepts integer 分 only', () => {
    assert.equal(toFen('500'), 500);
    assert.equal(toFen(500), 500);
    assert.throws(() => toFen('5.00'), MoneyError);
    assert.equal(toFen(' 500 '), 500);
    assert.equal(toFen('-25'), -25);
    assert.throws(() => toFen(1.5), { name: 'MoneyError', message: 'not an integer amount in 分: 1.5' });
    assert.throws(() => toFen(null), { name: 'MoneyError', message: 'not an integer amount in 分: null' });
    assert.throws(() => toFen('1234567890123456'), MoneyError);
  });
  test('splitFen puts the remainder on the first part', () => {
    assert.deepEqual(splitFen(1000, 3), [334, 333, 333]);
    assert.deepEqual(splitFen(1, 2), [1, 0]);
    assert.throws(() => splitFen(1000, 0), { name: 'MoneyError', message: 'cannot split 1000 into 0' });
    assert.throws(() => splitFen(0.5, 2), { message: 'cannot split 0.5 into 2' });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 10 }), (total, n) => {
        const parts = splitFen(total, n);
        assert.equal(
          parts.reduce((a, b) => a + b, 0),
          total,
        );
        assert.ok(parts.every((p) => p <= parts[0]));
      }),
    );
  });
});
