import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CbError } from '../../../src/errors';
import { encodeForm, formValues, parseForm } from '../../../src/dialects/shared/form';

const malformed = (e: unknown): boolean => e instanceof CbError && e.code === 'CB_BODY_MALFORMED';

describe('form codec', () => {
  test('reads + as a space and %20 as a space', () => {
    assert.deepEqual(parseForm('a=x+y&b=x%20y'), { a: 'x y', b: 'x y' });
  });

  test('decodes UTF-8 percent escapes (Chinese)', () => {
    assert.deepEqual(parseForm('plate=%E7%B2%A4B660PP'), { plate: '粤B660PP' });
  });

  test('keeps the last value of a repeated key', () => {
    assert.deepEqual(parseForm('a=1&b=2&a=3'), { a: '3', b: '2' });
  });

  test('reads a key without = as an empty value and ignores empty segments', () => {
    assert.deepEqual(parseForm('a&&b=&c=1&'), { a: '', b: '', c: '1' });
  });

  test('keeps = inside a value after the first one', () => {
    assert.deepEqual(parseForm('sig=ab==&x=1'), { sig: 'ab==', x: '1' });
  });

  test('rejects a broken percent escape with the field name', () => {
    assert.throws(
      () => parseForm('a=%E7%B2'),
      (e) => malformed(e) && /field "a"/.test((e as CbError).detail),
    );
    assert.throws(() => parseForm('a=%zz'), malformed);
  });

  test('round-trips &, =, +, %, spaces, Chinese and JSON strings', () => {
    const values = {
      reason: '测试 派发 & more=yes',
      plus: '1+1=2 100%',
      mcoupons: '[{"coupon_code":"0x01","store_name":"肯德基"}]',
      empty: '',
      'key with space': 'v',
    };
    assert.deepEqual(parseForm(encodeForm(values)), Object.fromEntries(Object.entries(values)));
  });

  test('encodes spaces as + and never leaves & or = unescaped inside a value', () => {
    assert.equal(encodeForm({ a: 'x y&z=1' }), 'a=x+y%26z%3D1');
  });

  test('does not let a __proto__ key change the prototype', () => {
    const parsed = parseForm('__proto__=x&a=1');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, 'x');
  });

  test('formValues writes numbers as text, objects as compact JSON and drops null/absent', () => {
    assert.deepEqual(formValues({ n: 1.5, o: { a: [1, 2] }, s: '', z: null, u: undefined }), {
      n: '1.5',
      o: '{"a":[1,2]}',
      s: '',
    });
  });

  test('round-trips any keys and values (full Unicode)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, unit: 'grapheme' }), fc.string({ unit: 'grapheme' })),
        (values) => {
          assert.deepEqual(parseForm(encodeForm(values)), Object.fromEntries(Object.entries(values)));
        },
      ),
    );
  });
});
