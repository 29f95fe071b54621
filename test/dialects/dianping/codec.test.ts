import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CbError } from '../../../src/errors';
import { dialects, encodeForm } from '../../../src/dialects/index';
import type { Credentials } from '../../../src/dialects/types';
import { loadVectors } from '../load-vectors';
import { rawRequest, received } from '../raw-request';

const dianping = dialects.dianping;
const classic: Credentials = { keyId: 'TESTAPPKEY', secret: 'test-secret', scheme: 'dianping-sha1' };
const router: Credentials = { keyId: 'TESTAPPKEY', secret: 'test-secret', scheme: 'dianping-router-md5' };
const now = new Date('2024-05-06T20:08:09.900Z');
const fields = {
  couponCode: '["DP85","DP95"]',
  shopName: '肯德基 & 麦当劳',
  consumeTime: 1714979289900,
  orderId: 'o-1',
  orderAmount: '100.50',
  attributes: { table: 'A=1' },
  comments: '',
};
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };

describe('dianping parse', () => {
  test('reads a GET query and a POST form alike', () => {
    const q = encodeForm({ couponCode: 'DP85', shopName: '肯德基' });
    const get = dianping.parse(rawRequest({ method: 'GET', query: q }));
    const post = dianping.parse(rawRequest({ headers: FORM, body: q }));
    assert.equal(get.encoding, 'query');
    assert.equal(post.encoding, 'form');
    assert.deepEqual(get.fields, post.fields);
    assert.deepEqual(post.fields, { couponCode: 'DP85', shopName: '肯德基' });
  });

  test('reads a POST with an empty body from its query string', () => {
    const msg = dianping.parse(rawRequest({ query: 'a=1' }));
    assert.equal(msg.encoding, 'query');
    assert.deepEqual(msg.fields, { a: '1' });
  });

  test('refuses a JSON body', () => {
    assert.throws(
      () => dianping.parse(rawRequest({ headers: { 'content-type': 'application/json' }, body: '{}' })),
      (e) => e instanceof CbError && e.code === 'CB_UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

describe('dianping buildRequest → parse → identify → verify', () => {
  test('classic scheme, GET: appkey and an upper-case SHA-1 sign in the query', () => {
    const out = dianping.buildRequest(
      { method: 'GET', path: '/api/coupon/consumeCoupon', encoding: 'query' },
      fields,
      classic,
      now,
    );
    assert.equal(out.body, undefined);
    const raw = received(out);
    const msg = dianping.parse(raw);
    assert.equal(msg.fields.appkey, 'TESTAPPKEY');
    assert.match(String(msg.fields.sign), /^[0-9A-F]{40}$/);
    assert.equal(msg.fields.attributes, '{"table":"A=1"}');
    assert.equal(msg.fields.shopName, '肯德基 & 麦当劳');
    assert.deepEqual(out.message, msg.fields);
    assert.equal(dianping.identify(msg, raw), 'TESTAPPKEY');
    assert.deepEqual(dianping.verify(msg, raw, classic), { ok: true });
  });

  test('classic scheme, POST form: verifies, and a changed amount fails', () => {
    const out = dianping.buildRequest(
      { method: 'POST', path: '/api/coupon/consumeCoupon', encoding: 'form' },
      fields,
      classic,
      now,
    );
    assert.equal(out.headers['content-type'], 'application/x-www-form-urlencoded; charset=UTF-8');
    const raw = received(out);
    assert.deepEqual(dianping.verify(dianping.parse(raw), raw, classic), { ok: true });
    const changed = { ...raw, body: Buffer.from(out.body!.replace('100.50', '100.51')) };
    assert.equal(dianping.verify(dianping.parse(changed), changed, classic).ok, false);
  });

  test('router scheme: app_key, Beijing timestamp, format, v, sign_method and a lower-case MD5 sign', () => {
    const out = dianping.buildRequest(
      { method: 'POST', path: '/router/x', encoding: 'form' },
      fields,
      router,
      now,
    );
    const raw = received(out);
    const msg = dianping.parse(raw);
    assert.equal(msg.fields.app_key, 'TESTAPPKEY');
    assert.equal(msg.fields.timestamp, '2024-05-07 04:08:09');
    assert.equal(msg.fields.format, 'json');
    assert.equal(msg.fields.v, '1');
    assert.equal(msg.fields.sign_method, 'MD5');
    assert.match(String(msg.fields.sign), /^[0-9a-f]{32}$/);
    assert.equal(msg.fields.appkey, undefined);
    assert.equal(dianping.identify(msg, raw), 'TESTAPPKEY');
    assert.deepEqual(dianping.verify(msg, raw, router), { ok: true });
    assert.equal(dianping.verify(msg, raw, classic).ok, false);
  });
});

describe('dianping verify of received messages', () => {
  test('verifies the published example sent as a GET query with appkey and sign', () => {
    const v = loadVectors().find((x) => x.scheme === 'dianping-sha1')!;
    const query = encodeForm({ appkey: v.app_key!, ...(v.params as Record<string, string>), sign: v.sign });
    const raw = rawRequest({ method: 'GET', query });
    const msg = dianping.parse(raw);
    assert.equal(dianping.identify(msg, raw), v.app_key);
    assert.deepEqual(dianping.verify(msg, raw, { ...classic, keyId: v.app_key!, secret: v.secret }), {
      ok: true,
    });
  });

  test('reports a request without sign as missing', () => {
    const raw = rawRequest({ method: 'GET', query: 'appkey=A&orderId=1' });
    const outcome = dianping.verify(dianping.parse(raw), raw, classic);
    assert.ok(!outcome.ok && outcome.code === 'CB_SIGN_MISSING');
  });
});
