import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CbError } from '../../../src/errors';
import { dialects, encodeForm, getScheme } from '../../../src/dialects/index';
import type { Credentials } from '../../../src/dialects/types';
import { loadVectors } from '../load-vectors';
import { rawRequest, received } from '../raw-request';

const pyun = dialects.pyun;
const creds: Credentials = { keyId: 'op-test-app', secret: 'test-secret', scheme: 'pyun-form-md5' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };
const JSON_CT = { 'content-type': 'application/json' };
const now = new Date('2024-05-06T07:08:09.123Z');

describe('pyun parse', () => {
  test('reads a form body, keeping JSON-string fields as strings', () => {
    const body = encodeForm({ plate: '粤B 1&2', mcoupons: '[{"coupon_code":"0x01"}]' });
    const msg = pyun.parse(rawRequest({ headers: FORM, body }));
    assert.equal(msg.encoding, 'form');
    assert.deepEqual(msg.fields, { plate: '粤B 1&2', mcoupons: '[{"coupon_code":"0x01"}]' });
    assert.deepEqual(msg.signingParams, msg.fields);
    assert.equal(msg.rawBody, body);
  });

  test('reads a JSON body by Content-Type, and by its first character when none is sent', () => {
    const body = ' {"a":1.50}';
    assert.equal(pyun.parse(rawRequest({ headers: JSON_CT, body })).encoding, 'json');
    const sniffed = pyun.parse(rawRequest({ body }));
    assert.equal(sniffed.encoding, 'json');
    assert.deepEqual(sniffed.signingParams, { a: '1.50' });
    assert.equal(pyun.parse(rawRequest({ body: 'a=1' })).encoding, 'form');
  });

  test('reads a GET query string', () => {
    const msg = pyun.parse(rawRequest({ method: 'GET', query: 'a=1&b=%E4%B8%AD' }));
    assert.equal(msg.encoding, 'query');
    assert.deepEqual(msg.fields, { a: '1', b: '中' });
  });

  test('refuses another content type and malformed JSON', () => {
    assert.throws(
      () => pyun.parse(rawRequest({ headers: { 'content-type': 'text/xml' }, body: '<a/>' })),
      (e) => e instanceof CbError && e.code === 'CB_UNSUPPORTED_MEDIA_TYPE',
    );
    assert.throws(
      () => pyun.parse(rawRequest({ headers: JSON_CT, body: '{"a":' })),
      (e) => e instanceof CbError && e.code === 'CB_BODY_MALFORMED',
    );
  });
});

describe('pyun buildRequest → parse → identify → verify', () => {
  test('signs a form body with app_id, timestamp in ms, sign_type and an upper-case sign', () => {
    const out = pyun.buildRequest(
      { method: 'POST', path: '/gate/1.0/parking/mcoupon/event', encoding: 'form' },
      {
        event_id: 'e1',
        plate: '粤B660PP',
        metadata: { charge: { name: '充电', value: 30 } },
        sign: 'STALE',
        app_id: 'x',
      },
      creds,
      now,
    );
    assert.equal(out.method, 'POST');
    assert.equal(out.headers['content-type'], 'application/x-www-form-urlencoded; charset=UTF-8');
    const msg = pyun.parse(received(out));
    assert.equal(msg.fields.app_id, 'op-test-app');
    assert.equal(msg.fields.timestamp, String(now.getTime()));
    assert.equal(msg.fields.sign_type, 'MD5');
    assert.equal(msg.fields.metadata, '{"charge":{"name":"充电","value":30}}');
    assert.match(String(msg.fields.sign), /^[0-9A-F]{32}$/);
    assert.equal(msg.fields.sign, out.signature.sign);
    assert.deepEqual(out.message, msg.fields);
    assert.equal(pyun.identify(msg, received(out)), 'op-test-app');
    assert.deepEqual(pyun.verify(msg, received(out), creds), { ok: true });
  });

  test('a tampered form value or a wrong secret fails verification', () => {
    const out = pyun.buildRequest(
      { method: 'POST', path: '/p', encoding: 'form' },
      { plate: 'A1' },
      creds,
      now,
    );
    const tampered = { ...received(out), body: Buffer.from(out.body!.replace('A1', 'A2')) };
    assert.equal(pyun.verify(pyun.parse(tampered), tampered, creds).ok, false);
    const raw = received(out);
    const outcome = pyun.verify(pyun.parse(raw), raw, { ...creds, secret: 'other' });
    assert.ok(!outcome.ok && outcome.reason.startsWith('sign mismatch for scheme pyun-form-md5'));
  });

  test('signs a JSON endpoint in the Authorization header over the exact body', () => {
    const out = pyun.buildRequest(
      { method: 'POST', path: '/gate/1.0/trade/refund', encoding: 'json' },
      { reason: '退款', value: 1 },
      creds,
      now,
    );
    assert.equal(out.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(out.headers.authorization, out.signature.sign);
    assert.deepEqual(JSON.parse(out.body!), {
      reason: '退款',
      value: 1,
      app_id: 'op-test-app',
      timestamp: String(now.getTime()),
      sign_type: 'MD5',
    });
    assert.equal(out.signature.sign, getScheme('pyun-json-md5').sign({ body: out.body }, creds.secret).sign);
    const raw = received(out);
    assert.deepEqual(pyun.verify(pyun.parse(raw), raw, creds), { ok: true });
    const spaced = { ...raw, body: Buffer.from(out.body!.replace('"value":1', '"value": 1')) };
    assert.equal(pyun.verify(pyun.parse(spaced), spaced, creds).ok, false);
  });

  test('puts everything in the query string for a GET endpoint', () => {
    const out = pyun.buildRequest(
      { method: 'GET', path: '/gate/1.0/q', encoding: 'query' },
      { a: 'x y' },
      creds,
      now,
    );
    assert.equal(out.body, undefined);
    assert.match(out.path, /^\/gate\/1\.0\/q\?a=x\+y&app_id=op-test-app&/);
    const raw = received(out);
    assert.deepEqual(pyun.verify(pyun.parse(raw), raw, creds), { ok: true });
  });
});

describe('pyun verify of received messages', () => {
  const push = loadVectors().find((v) => v.id === 'pyun-payment-push-example')!;

  test('verifies the published payment push posted as a form', () => {
    const raw = rawRequest({
      headers: FORM,
      body: encodeForm({ ...(push.params as Record<string, string>), sign: push.sign }),
    });
    const msg = pyun.parse(raw);
    assert.equal(pyun.identify(msg, raw), 'op00961963581daa7');
    assert.deepEqual(pyun.verify(msg, raw, { ...creds, keyId: 'op00961963581daa7', secret: push.secret }), {
      ok: true,
    });
  });

  test('includes unknown extra fields in the signature', () => {
    const params = { ...(push.params as Record<string, string>), plate: '川A660P1', sign: push.sign };
    const raw = rawRequest({ headers: FORM, body: encodeForm(params) });
    assert.equal(pyun.verify(pyun.parse(raw), raw, { ...creds, secret: push.secret }).ok, false);
  });

  test('reports a message without sign as missing', () => {
    const raw = rawRequest({ headers: FORM, body: 'app_id=op1&a=1' });
    const outcome = pyun.verify(pyun.parse(raw), raw, creds);
    assert.ok(!outcome.ok && outcome.code === 'CB_SIGN_MISSING');
  });

  test('verifies a JSON push signed inside with sorted nested keys and original number text', () => {
    const secret = creds.secret;
    const expected = getScheme('pyun-json-push-md5').sign(
      { params: { app_id: 'op1', data: '{"a":1.50,"b":[{"x":1,"y":2}]}', n: '7' } },
      secret,
    ).sign;
    const body = `{"sign":"${expected}", "data": {"b": [{"y":2,"x":1}], "a": 1.50}, "app_id":"op1", "n":7}`;
    const raw = rawRequest({ headers: JSON_CT, body });
    assert.deepEqual(pyun.verify(pyun.parse(raw), raw, creds), { ok: true });
    const changed = rawRequest({ headers: JSON_CT, body: body.replace('1.50', '1.5') });
    assert.equal(pyun.verify(pyun.parse(changed), changed, creds).ok, false);
  });

  test('verifies the published JSON-body request by its Authorization header', () => {
    const v = loadVectors().find((x) => x.id === 'pyun-json-body-example')!;
    const raw = rawRequest({ headers: { ...JSON_CT, authorization: v.sign }, body: v.body });
    const msg = pyun.parse(raw);
    assert.equal(pyun.identify(msg, raw), 'op00961963581daa7');
    assert.deepEqual(pyun.verify(msg, raw, { ...creds, secret: v.secret }), { ok: true });
  });
});
