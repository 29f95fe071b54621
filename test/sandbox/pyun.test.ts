import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialects, encodeForm, parseForm } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import {
  EVENT_PATH,
  GRANT_SYNC_PATH,
  grantSerialFor,
  signedPyunPush,
  startSandbox,
  type Sandbox,
} from '../../src/sandbox';
import { FORM, send } from './http';

const APP = { app_id: 'op-sandbox-test', app_secret: 'pyun-sandbox-secret' };
const creds: Credentials = { keyId: APP.app_id, secret: APP.app_secret, scheme: 'pyun-form-md5' };
const vectors = JSON.parse(readFileSync(join(__dirname, '../fixtures/vectors.json'), 'utf8')) as {
  vectors: Array<{ id: string; secret: string; params: Record<string, string>; sign: string }>;
};

const redeem = (serial: string): Record<string, unknown> => ({
  park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
  grant_serial: serial,
  status: 1,
  apply_status: 1,
  coupon_value: 500,
  apply_value: 500,
  apply_time: '2023-11-17T07:32:49.000Z',
});
const expire = (serial: string): Record<string, unknown> => ({
  park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
  grant_serial: serial,
  status: -2,
  status_desc: '已过期',
  status_time: '2023-11-17T07:32:49Z',
});
const event = (eventId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  api_store_code: 'store-1',
  api_type: 'charging',
  event_id: eventId,
  plate: '粤B660PP',
  subject: '【粤B660PP】充电 29 分钟',
  ...extra,
});
const form = (path: string, fields: Record<string, unknown>, c: Credentials = creds) =>
  dialects.pyun.buildRequest({ method: 'POST', path, encoding: 'form' }, fields, c);

describe('P云 sandbox', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ pyun: APP });
  });
  after(() => sb.close());

  test('redeems a correctly signed grant/sync in P云 envelope, once', async () => {
    const first = await send(sb.pyunUrl, form(GRANT_SYNC_PATH, redeem('G-1')));
    assert.equal(first.status, 200);
    assert.equal(first.json.code, '1001');
    assert.equal(first.json.message, '核销成功');
    assert.equal(first.json.data_node, 'sandbox/SB-1');
    assert.match(String(first.json.seqno), /^[0-9a-f]{32}$/);
    assert.equal(typeof first.json.time_cost, 'number');
    const again = await send(sb.pyunUrl, form(GRANT_SYNC_PATH, redeem('G-1')));
    assert.equal(again.json.code, '1403');
  });

  test('accepts the expire form, then refuses to redeem the expired grant', async () => {
    assert.equal((await send(sb.pyunUrl, form(GRANT_SYNC_PATH, expire('G-2')))).json.code, '1001');
    assert.equal((await send(sb.pyunUrl, form(GRANT_SYNC_PATH, redeem('G-2')))).json.code, '1003');
  });

  test('answers 1401 with the masked string-to-sign when one value changed after signing', async () => {
    const req = form(GRANT_SYNC_PATH, redeem('G-3'));
    const tampered = { ...req, body: req.body?.replace('apply_value=500', 'apply_value=501') };
    const r = await send(sb.pyunUrl, tampered);
    assert.equal(r.json.code, '1401');
    assert.equal(r.json.message, '签名错误');
    assert.match(String(r.json.hint), /apply_value=501.*&app_secret=\*\*\*$/);
    assert.ok(!r.text.includes(APP.app_secret));
  });

  test('answers 401 to an unknown app_id', async () => {
    const r = await send(sb.pyunUrl, form(GRANT_SYNC_PATH, redeem('G-4'), { ...creds, keyId: 'op-other' }));
    assert.equal(r.status, 401);
    assert.equal(r.json.code, '401');
  });

  test('answers HTTP 400 naming a missing required field, with the path', async () => {
    const { park_uuid: _omitted, ...fields } = redeem('G-5');
    const r = await send(sb.pyunUrl, form(GRANT_SYNC_PATH, fields));
    assert.equal(r.status, 400);
    assert.deepEqual(
      { code: r.json.code, message: r.json.message, hint: r.json.hint, path: r.json.path },
      {
        code: '400',
        message: '请求参数错误',
        hint: '`park_uuid` Required!',
        path: `POST ${GRANT_SYNC_PATH}`,
      },
    );
  });

  test('refuses an expire form without status_time and a Beijing-time apply_time', async () => {
    const { status_time: _omitted, ...noTime } = expire('G-6');
    assert.equal(
      (await send(sb.pyunUrl, form(GRANT_SYNC_PATH, noTime))).json.hint,
      '`status_time` Required!',
    );
    const local = await send(
      sb.pyunUrl,
      form(GRANT_SYNC_PATH, { ...redeem('G-6'), apply_time: '2023-11-17T15:32:49.000+08:00' }),
    );
    assert.equal(local.status, 400);
    assert.match(String(local.json.hint), /apply_time/);
  });

  test('grants a deterministic serial per event_id and answers 1403 with it on a repeat', async () => {
    const first = await send(
      sb.pyunUrl,
      form(EVENT_PATH, event('EV-1', { metadata: '{"kwh":{"name":"电量","value":12}}' })),
    );
    assert.equal(first.json.code, '1001');
    assert.deepEqual(first.json.payload, { grant_serial: grantSerialFor('EV-1') });
    const again = await send(sb.pyunUrl, form(EVENT_PATH, event('EV-1')));
    assert.equal(again.json.code, '1403');
    assert.equal(again.json.message, '重复派发');
    assert.deepEqual(again.json.payload, { grant_serial: grantSerialFor('EV-1') });
    assert.notEqual(grantSerialFor('EV-1'), grantSerialFor('EV-2'));
  });

  test('refuses an event without a plate', async () => {
    const { plate: _omitted, ...fields } = event('EV-3');
    const r = await send(sb.pyunUrl, form(EVENT_PATH, fields));
    assert.equal(r.status, 400);
    assert.equal(r.json.hint, '`plate` Required!');
  });

  test('verifies the published P云 example over its raw values on any other /gate path', async () => {
    const v = vectors.vectors.find((x) => x.id === 'pyun-readme-example');
    assert.ok(v);
    const other = await startSandbox({ pyun: { app_id: v.params.app_id, app_secret: v.secret } });
    try {
      const ok = await send(other.pyunUrl, {
        method: 'POST',
        path: '/gate/1.0/parking/order/query',
        headers: FORM,
        body: encodeForm({ ...v.params, sign: v.sign.toLowerCase() }),
      });
      assert.equal(ok.json.code, '1001');
      assert.deepEqual(ok.json.payload, {
        car_type: '1',
        enter_time: '1563242533431',
        park_uuid: '40e06b24-7320-4a61-8d97-7ebccb364a87',
        plate: '粤B660PP',
      });
      const bad = await send(other.pyunUrl, {
        method: 'POST',
        path: '/gate/1.0/parking/order/query',
        headers: FORM,
        body: encodeForm({ ...v.params, plate: '粤B660PQ', sign: v.sign }),
      });
      assert.equal(bad.json.code, '1401');
    } finally {
      await other.close();
    }
  });

  test('verifies a JSON body signed in the Authorization header and echoes its fields', async () => {
    const req = dialects.pyun.buildRequest(
      { method: 'POST', path: '/gate/1.0/trade/refund', encoding: 'json' },
      { pay_serial: 'P-1', value: '1', reason: '接口测试退款' },
      creds,
    );
    const ok = await send(sb.pyunUrl, req);
    assert.equal(ok.json.code, '1001');
    assert.deepEqual(ok.json.payload, { pay_serial: 'P-1', value: '1', reason: '接口测试退款' });
    const bad = await send(sb.pyunUrl, {
      ...req,
      headers: { ...req.headers, authorization: '0'.repeat(32) },
    });
    assert.equal(bad.json.code, '1401');
  });

  test('answers 404 outside /gate and 405 to a GET on grant/sync', async () => {
    assert.equal((await send(sb.pyunUrl, { method: 'GET', path: '/nowhere', headers: {} })).json.code, '404');
    const get = dialects.pyun.buildRequest(
      { method: 'GET', path: GRANT_SYNC_PATH, encoding: 'query' },
      redeem('G-7'),
      creds,
    );
    const r = await send(sb.pyunUrl, get);
    assert.equal(r.status, 405);
    assert.equal(r.json.code, '405');
  });
});

describe('signed P云 pushes', () => {
  test('signedPyunPush produces a form that verifies with the receiving app secret only', () => {
    const body = signedPyunPush(
      { pay_serial: 'PS-1', pay_value: 100, mcoupons: '[{"grant_serial":"G"}]' },
      'op-recv',
      's3cret',
    );
    const fields = parseForm(body);
    assert.equal(fields.app_id, 'op-recv');
    assert.equal(fields.sign_type, 'MD5');
    assert.match(fields.timestamp, /^\d{13}$/);
    const raw = { method: 'POST', path: '/', query: '', headers: FORM, body: Buffer.from(body) };
    const msg = dialects.pyun.parse(raw);
    const c = { keyId: 'op-recv', scheme: 'pyun-form-md5' as const };
    assert.equal(dialects.pyun.verify(msg, raw, { ...c, secret: 's3cret' }).ok, true);
    assert.equal(dialects.pyun.verify(msg, raw, { ...c, secret: 's3cres' }).ok, false);
  });

  test('sandbox.push delivers the signed form to a URL and returns its answer', async () => {
    let received = '';
    const server = createServer((req, res) => {
      req.on('data', (c: Buffer) => (received += c.toString()));
      req.on('end', () => res.end('{"code":"1001"}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sb = await startSandbox({ pyun: APP });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pyun/notify/payment`;
      const answer = await sb.push(url, { pay_serial: 'PS-2', pay_value: '100' });
      assert.deepEqual(answer, { status: 200, body: '{"code":"1001"}' });
      const fields = parseForm(received);
      assert.equal(fields.pay_serial, 'PS-2');
      assert.equal(fields.app_id, APP.app_id);
      assert.match(fields.sign, /^[0-9A-F]{32}$/);
    } finally {
      await sb.close();
      server.close();
    }
  });
});
