import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { getScheme } from '../../../src/dialects/index';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
const tencent = getScheme('tencent-md5');

describe('tencent-md5', () => {
  test('appends the secret directly after the sorted k=v pairs, without & or a label', () => {
    const s = tencent.sign({ params: { timestamp: '1', api_key: 'K', sign: 'OLD' } }, 'sec');
    assert.equal(s.stringToSign, 'api_key=K&timestamp=1sec');
    assert.equal(s.sign, md5('api_key=K&timestamp=1sec'));
    assert.equal(s.maskedStringToSign, 'api_key=K&timestamp=1***');
  });

  test('signs an empty string as key= by default and skips null/absent', () => {
    const s = tencent.sign({ params: { extra: '', a: null, b: undefined, c: '1' } }, 'sec');
    assert.equal(s.stringToSign, 'c=1&extra=sec');
  });

  test("drops empty strings with emptyValues 'skip'", () => {
    const s = tencent.sign({ params: { extra: '', c: '1' } }, 'sec', { emptyValues: 'skip' });
    assert.equal(s.stringToSign, 'c=1sec');
  });

  test('writes numbers as JSON text and nested objects/arrays as compact JSON in the given order', () => {
    const params = { app_channel_id: 1, coupons: [{ stock_id: 's', coupon_id: 'c' }], ok: false };
    const s = tencent.sign({ params }, 'sec');
    assert.equal(s.stringToSign, 'app_channel_id=1&coupons=[{"stock_id":"s","coupon_id":"c"}]&ok=falsesec');
  });

  test('verify fails on a reordered nested object (nested JSON is signed as sent)', () => {
    const sent = { fixed: { b: 1, a: 2 }, k: 'v' };
    const sign = tencent.sign({ params: sent }, 'sec').sign;
    assert.deepEqual(tencent.verify({ params: sent }, 'sec', sign), { ok: true });
    assert.equal(tencent.verify({ params: { fixed: { a: 2, b: 1 }, k: 'v' } }, 'sec', sign).ok, false);
  });

  test('verify fails with another secret', () => {
    const sign = tencent.sign({ params: { a: '1' } }, 'sec').sign;
    const outcome = tencent.verify({ params: { a: '1' } }, 'other', sign);
    assert.ok(!outcome.ok && outcome.reason.startsWith('sign mismatch for scheme tencent-md5'));
  });
});
