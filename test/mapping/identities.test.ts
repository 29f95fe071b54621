/**
 * couponIdFor and eventIdFor name persistent things — coupons the SP stores, events P云 dedupes on —
 * so their values must never change between versions: pinned here as literals computed outside
 * couponbridge (Python: 'CB' + base64.b32encode(sha1(serial)).decode()[:18], and
 * 'E' + base64.b32encode(sha256(partner + '\0' + request_id)).decode()[:31]).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { converters, couponIdFor, eventIdFor, EVENT_ID_LENGTH } from '../../src/mapping/converters';

test('couponIdFor keeps a grant serial of up to 20 characters as it is', () => {
  assert.equal(couponIdFor('GS2024030100000001'), 'GS2024030100000001');
  assert.equal(couponIdFor('P'.repeat(20)), 'P'.repeat(20));
  assert.equal(converters.coupon_id_for('12345678901234567890'), '12345678901234567890');
});

test('couponIdFor names a longer grant serial by CB + 18 base-32 characters of its SHA-1 (pinned)', () => {
  assert.equal(couponIdFor('P'.repeat(21)), 'CBRD4XSFWTJFFRHULA4U');
  assert.equal(couponIdFor('GS20240301000000000001X'), 'CBVK2YPTXY74P3R2CLZB');
  assert.equal(couponIdFor('2024030112345678901234567890'), 'CBLHQFHZ6HEAEHQGN77J');
  assert.equal(couponIdFor('grant-serial-with-中文-over-20'), 'CBZBARIANF3JGGABGJWG');
  assert.equal(converters.coupon_id_for('GS20240301000000000001X'), 'CBVK2YPTXY74P3R2CLZB');
});

test('eventIdFor is E + 31 base-32 characters of SHA-256(partner NUL request_id) (pinned)', () => {
  assert.equal(eventIdFor('sp-test', 'req-0001'), 'EPU7MZTIA2D7CDF7RNQO46WIINCYLVQF');
  assert.equal(eventIdFor('sp-demo', 'b8b4f0b8'), 'E74IENG6WKC3LH3UE7MWTXEYCQCDKDCL');
  assert.equal(eventIdFor('sp-test', 'req-0001').length, EVENT_ID_LENGTH);
});
