import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { getScheme } from '../../../src/dialects/index';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
const form = getScheme('pyun-form-md5');
const push = getScheme('pyun-json-push-md5');
const json = getScheme('pyun-json-md5');

describe('pyun-form-md5', () => {
  test('drops null, absent and empty values and the sign itself', () => {
    const s = form.sign({ params: { b: '2', a: '1', c: '', d: null, e: undefined, sign: 'OLD' } }, 'k');
    assert.equal(s.stringToSign, 'a=1&b=2&app_secret=k');
    assert.equal(s.sign, md5('a=1&b=2&app_secret=k'));
  });

  test('signs raw values, never URL-encoded, with & = spaces Chinese and JSON quotes verbatim', () => {
    const params = { plate: '粤B 12&3=4', mcoupons: '[{"coupon_code":"0x01"}]' };
    const s = form.sign({ params }, 'k');
    assert.equal(s.stringToSign, 'mcoupons=[{"coupon_code":"0x01"}]&plate=粤B 12&3=4&app_secret=k');
  });

  test('writes numbers as text and objects/arrays as compact JSON in the given key order', () => {
    const s = form.sign({ params: { n: 100, m: { z: 1, a: [1, 'x'] } } }, 'k');
    assert.equal(s.stringToSign, 'm={"z":1,"a":[1,"x"]}&n=100&app_secret=k');
  });

  test('sorts keys by ASCII (upper case before lower case, _ between)', () => {
    const s = form.sign({ params: { b: '1', B: '2', a_b: '3', ab: '4' } }, 'k');
    assert.equal(s.stringToSign, 'B=2&a_b=3&ab=4&b=1&app_secret=k');
  });

  test('masks the secret in the explained string', () => {
    const s = form.sign({ params: { a: '1' } }, 'topsecret');
    assert.equal(s.maskedStringToSign, 'a=1&app_secret=***');
  });

  test('signs "" as key= when emptyValues is sign', () => {
    assert.equal(
      form.sign({ params: { a: '', b: '1' } }, 'k', { emptyValues: 'sign' }).stringToSign,
      'a=&b=1&app_secret=k',
    );
  });

  test('rejects an empty secret and missing params', () => {
    assert.throws(() => form.sign({ params: {} }, ''), /non-empty secret/);
    assert.throws(() => form.sign({ body: 'x' }, 'k'), {
      message: 'scheme pyun-form-md5 signs parameters: params must be an object',
    });
  });
});

describe('pyun-json-push-md5', () => {
  test('writes nested objects with keys sorted recursively, top-level strings verbatim', () => {
    const params = { z: 'q', data: { b: 1, a: { d: [{ y: 2, x: 1 }], c: true } }, sign: 'X' };
    const s = push.sign({ params }, 'k');
    assert.equal(s.stringToSign, 'data={"a":{"c":true,"d":[{"x":1,"y":2}]},"b":1}&z=q&app_secret=k');
  });

  test('sorts nested keys whatever order they come in, and writes an absent array item as null', () => {
    const params = { data: { c: 1, a: 2, e: 3, b: 4, d: [undefined, { n: 1, m: 2, o: 3 }] } };
    const s = push.sign({ params }, 'k');
    assert.equal(
      s.stringToSign,
      'data={"a":2,"b":4,"c":1,"d":[null,{"m":2,"n":1,"o":3}],"e":3}&app_secret=k',
    );
    assert.equal(s.sign, '9EA90FEA2B5D50680AAE695485662820'); // md5sum of the string above, upper-cased
  });

  test('drops empty values by default, as the form scheme does', () => {
    assert.equal(push.sign({ params: { a: '', b: '1', c: null } }, 'k').stringToSign, 'b=1&app_secret=k');
  });

  test('refuses a value that has no text (a function)', () => {
    assert.throws(() => push.sign({ params: { f: () => 1 } }, 'k'), /cannot sign a value of type function/);
  });
});

describe('pyun-json-md5', () => {
  test('hashes the exact body followed by &app_secret=', () => {
    const body = '{ "b": 1,\n "a": "中" }';
    const s = json.sign({ body }, 'k');
    assert.equal(s.sign, md5(`${body}&app_secret=k`));
    assert.equal(s.maskedStringToSign, `${body}&app_secret=***`);
  });

  test('requires a body', () => {
    assert.throws(() => json.sign({ params: { a: '1' } }, 'k'), /body must be a string/);
  });
});

describe('verify (shared by every scheme)', () => {
  const params = { a: '1', b: '2' };
  const good = form.sign({ params }, 'k').sign;

  test('reports a missing signature as CB_SIGN_MISSING', () => {
    const outcome = form.verify({ params }, 'k', '');
    assert.equal(outcome.ok, false);
    assert.ok(
      !outcome.ok &&
        outcome.code === 'CB_SIGN_MISSING' &&
        /sign missing for scheme pyun-form-md5/.test(outcome.reason),
    );
  });

  test('treats a signature of a different length as a mismatch without throwing', () => {
    const outcome = form.verify({ params }, 'k', good.slice(0, 10));
    assert.ok(!outcome.ok && outcome.code === 'CB_SIGN_MISMATCH');
  });

  test('names the scheme and the received value but never reveals the expected signature', () => {
    const wrong = 'ABCDEF0123456789ABCDEF0123456789';
    const outcome = form.verify({ params }, 'k', wrong);
    assert.ok(!outcome.ok);
    if (outcome.ok) return;
    assert.equal(outcome.reason, 'sign mismatch for scheme pyun-form-md5 (received ABCD…6789)');
    const text = JSON.stringify(outcome).toLowerCase();
    assert.ok(!text.includes(good.toLowerCase()));
    assert.ok(!text.includes(good.slice(0, 8).toLowerCase()));
    assert.equal(outcome.maskedStringToSign, 'a=1&b=2&app_secret=***');
  });

  test('accepts surrounding whitespace in the received signature', () => {
    assert.deepEqual(form.verify({ params }, 'k', ` ${good.toLowerCase()}\n`), { ok: true });
  });
});
