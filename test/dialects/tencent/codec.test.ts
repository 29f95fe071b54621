import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CbError } from '../../../src/errors';
import { dialects, getScheme } from '../../../src/dialects/index';
import type { Credentials } from '../../../src/dialects/types';
import { loadVectors } from '../load-vectors';
import { rawRequest, received } from '../raw-request';

const tencent = dialects.tencent;
const creds: Credentials = { keyId: 'TEST-API-KEY', secret: 'test-secret', scheme: 'tencent-md5' };
const now = new Date('2024-05-06T07:08:09.900Z');
const endpoint = { method: 'POST' as const, path: '/coupon/status/rsync', encoding: 'json' as const };

describe('tencent parse', () => {
  test('reads a JSON body with original number text in the signing view', () => {
    const raw = rawRequest({
      headers: { 'content-type': 'application/json' },
      body: '{"app_channel_id":1,"amount":10.50}',
    });
    const msg = tencent.parse(raw);
    assert.equal(msg.encoding, 'json');
    assert.deepEqual(msg.fields, { app_channel_id: 1, amount: 10.5 });
    assert.deepEqual(msg.signingParams, { app_channel_id: '1', amount: '10.50' });
  });

  test('reads a body without Content-Type as JSON and refuses a form', () => {
    assert.equal(tencent.parse(rawRequest({ body: '{}' })).encoding, 'json');
    assert.throws(
      () =>
        tencent.parse(
          rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }),
        ),
      (e) => e instanceof CbError && e.code === 'CB_UNSUPPORTED_MEDIA_TYPE',
    );
  });

  test('refuses a JSON array body as malformed', () => {
    assert.throws(
      () => tencent.parse(rawRequest({ body: '[{"a":1}]' })),
      (e) => e instanceof CbError && e.code === 'CB_BODY_MALFORMED',
    );
  });
});

describe('tencent buildRequest → parse → identify → verify', () => {
  const fields = {
    app_channel_id: 1,
    user_code: 'udxbxd',
    coupons: [{ stock_id: 'test001', coupon_id: '123456789' }],
    coupon_status: 3,
    reason: '用户申请退款',
    extra: '',
  };

  test('adds api_key, a UUID seq_id, epoch-second timestamp, a numeric nonce and an upper-case sign', () => {
    const out = tencent.buildRequest(endpoint, fields, creds, now);
    const body = JSON.parse(out.body!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).slice(0, 4), ['api_key', 'seq_id', 'timestamp', 'nonce']);
    assert.equal(body.api_key, 'TEST-API-KEY');
    assert.match(
      String(body.seq_id),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(body.timestamp, '1714979289');
    assert.match(String(body.nonce), /^\d{16}$/);
    assert.match(String(body.sign), /^[0-9A-F]{32}$/);
    assert.equal(out.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(out.message, body);
  });

  test('round-trips through parse and verify, nested arrays and "" included', () => {
    const out = tencent.buildRequest(endpoint, fields, creds, now);
    const raw = received(out);
    const msg = tencent.parse(raw);
    assert.equal(tencent.identify(msg, raw), 'TEST-API-KEY');
    assert.deepEqual(tencent.verify(msg, raw, creds), { ok: true });
  });

  test('keeps a seq_id given in the fields and draws a new nonce each time', () => {
    const a = JSON.parse(tencent.buildRequest(endpoint, { ...fields, seq_id: 'keep-me' }, creds, now).body!);
    const b = JSON.parse(tencent.buildRequest(endpoint, { ...fields, seq_id: 'keep-me' }, creds, now).body!);
    assert.equal(a.seq_id, 'keep-me');
    assert.equal(b.seq_id, 'keep-me');
    assert.notEqual(a.nonce, b.nonce);
  });

  test('honours emptyValues skip from the credentials on both sides', () => {
    const skipCreds: Credentials = { ...creds, schemeOptions: { emptyValues: 'skip' } };
    const out = tencent.buildRequest(endpoint, fields, skipCreds, now);
    assert.ok(!out.signature.stringToSign.includes('extra='));
    const raw = received(out);
    assert.deepEqual(tencent.verify(tencent.parse(raw), raw, skipCreds), { ok: true });
    assert.equal(tencent.verify(tencent.parse(raw), raw, creds).ok, false);
  });

  test('fails when a number is re-written (1 → 1.0) after signing', () => {
    const out = tencent.buildRequest(endpoint, fields, creds, now);
    const raw = {
      ...received(out),
      body: Buffer.from(out.body!.replace('"app_channel_id":1', '"app_channel_id":1.0')),
    };
    const outcome = tencent.verify(tencent.parse(raw), raw, creds);
    assert.ok(!outcome.ok && outcome.code === 'CB_SIGN_MISMATCH');
  });

  test('declares timestamp and nonce for replay protection', () => {
    assert.deepEqual(tencent.replay, { timestampField: 'timestamp', nonceField: 'nonce' });
  });
});

describe('tencent verify of received messages', () => {
  test('verifies the published example posted as a JSON body', () => {
    const v = loadVectors().find((x) => x.dialect === 'tencent')!;
    const raw = rawRequest({ body: JSON.stringify({ ...v.params, sign: v.sign }) });
    const msg = tencent.parse(raw);
    assert.equal(tencent.identify(msg, raw), v.params!.api_key);
    assert.deepEqual(tencent.verify(msg, raw, { ...creds, secret: v.secret }), { ok: true });
  });

  test('verifies pretty-printed nested objects against their compact form', () => {
    const sign = getScheme('tencent-md5').sign(
      { params: { fixed_normal_coupon: '{"coupon_amount":1000}', api_key: 'K' } },
      's',
    ).sign;
    const body = `{\n  "api_key": "K",\n  "fixed_normal_coupon": { "coupon_amount": 1000 },\n  "sign": "${sign}"\n}`;
    const raw = rawRequest({ body });
    assert.deepEqual(tencent.verify(tencent.parse(raw), raw, { ...creds, secret: 's' }), { ok: true });
  });

  test('identifies nobody when api_key is absent', () => {
    const raw = rawRequest({ body: '{"a":"1"}' });
    assert.equal(tencent.identify(tencent.parse(raw), raw), undefined);
  });
});
