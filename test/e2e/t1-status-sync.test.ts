/**
 * Flow T1 end to end over real HTTP: a Tencent SP status sync → couponbridge → sandbox P云
 * grant/sync, and every way it can fail answered in the Tencent envelope.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { getDialect, parseForm } from '../../src/dialects';
import { creds, spCreds, startStack, type Stack } from '../support/stack';

const PATH = '/tencent/coupon/status/rsync';
let stack: Stack;

function statusSync(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-1',
    mobile_phone: '13911112222',
    stock_id: 'cb-demo-001',
    coupon_id: `C${randomUUID().slice(0, 8)}`,
    coupon_status: 2,
    usage_time: '2024-03-01T10:15:30.120+08:00',
    event_time: '2024-03-01T10:15:31.000+08:00',
    ...over,
  };
}

function lastPyun() {
  const r = stack.sandbox.requests({ target: 'pyun' }).at(-1);
  assert.ok(r, 'P云 received a request');
  return { ...r, form: parseForm(r.body) };
}

before(async () => {
  // These cases translate coupons the ledger does not hold: the legacy fallback (issue 11 default:
  // none, covered by ownership-tencent.test.ts).
  stack = await startStack({ pyunTimeoutMs: 800, extraYaml: 'grant_serial_fallback: coupon_id' });
});
after(async () => {
  await stack.close();
});

describe('T1 coupon status sync → P云 grant/sync', () => {
  test('a used coupon is redeemed at P云 with the catalogue values and UTC times', async () => {
    const msg = statusSync();
    const res = await stack.tencent(PATH, msg);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    const sent = lastPyun();
    assert.equal(sent.path, '/gate/1.0/parking/internal/mcoupon/grant/sync');
    assert.match(String(sent.headers['content-type']), /application\/x-www-form-urlencoded/);
    const f = sent.form;
    assert.equal(f.app_id, creds.pyunUpstream.app_id);
    assert.equal(f.park_uuid, '49f0cc52-e8c7-41e3-b54d-af666b8cc11a');
    assert.equal(f.grant_serial, msg.coupon_id);
    assert.equal(f.status, '1');
    assert.equal(f.apply_status, '1');
    assert.equal(f.coupon_value, '500');
    assert.equal(f.apply_value, '500');
    assert.equal(f.apply_time, '2024-03-01T02:15:30.120Z');
    assert.equal(f.status_time, '2024-03-01T02:15:31.000Z');
    assert.equal(f.sign_type, 'MD5');
    assert.match(f.sign, /^[0-9A-F]{32}$/);
    assert.equal(JSON.parse(sent.answer!.body).code, '1001', 'the sandbox verified the signature');
  });

  test('an expired coupon sends the expire form', async () => {
    const res = await stack.tencent(PATH, statusSync({ coupon_status: 3, usage_time: undefined }));
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    const f = lastPyun().form;
    assert.equal(f.status, '-2');
    assert.equal(f.status_desc, '已过期');
    assert.equal(f.status_time, '2024-03-01T02:15:31.000Z');
    assert.equal(f.apply_status, undefined);
  });

  test('an available coupon is recorded without calling P云', async () => {
    stack.sandbox.clear();
    const res = await stack.tencent(PATH, statusSync({ coupon_status: 1 }));
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0);
  });

  test('park_uuid falls back to the partner defaults; a missing face value is a precise mapping error', async () => {
    stack.sandbox.clear();
    const res = await stack.tencent(PATH, statusSync({ stock_id: 'not-in-catalogue' }));
    assert.equal(res.json.code, 400000);
    assert.match(
      res.json.message,
      /coupon_value: no value \(from ledger.face_value_fen \| stock.face_value_fen \| partner.defaults.face_value_fen\)/,
    );
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0);
  });

  test('P云 business codes are mapped through the code table, P云 code and message kept', async () => {
    stack.sandbox.fault('pyun', { mode: 'code', code: '1405', message: '车场下发失败', times: 1 });
    const a = await stack.tencent(PATH, statusSync());
    assert.equal(a.json.code, 500000);
    assert.match(a.json.message, /P云 1405 车场下发失败/);
    stack.sandbox.fault('pyun', { mode: 'code', code: '1002', message: '车辆未入场', times: 1 });
    const b = await stack.tencent(PATH, statusSync());
    assert.equal(b.json.code, 400220);
    assert.match(b.json.message, /1002/);
  });

  test('P云 down → a Tencent system error', async () => {
    stack.sandbox.fault('pyun', { mode: 'down', times: 1 });
    const res = await stack.tencent(PATH, statusSync());
    assert.equal(res.json.code, 500000);
    assert.equal(res.status, 502);
  });

  test('P云 slow → a Tencent error within timeout_ms plus one second', async () => {
    stack.sandbox.fault('pyun', { mode: 'slow', delayMs: 3000, times: 1 });
    const started = Date.now();
    const res = await stack.tencent(PATH, statusSync());
    const took = Date.now() - started;
    assert.equal(res.json.code, 500000);
    assert.equal(res.status, 504);
    assert.match(res.json.message, /did not answer in time/);
    assert.ok(took < 800 + 1000, `answered after ${took} ms`);
  });

  test('P云 answering garbage → a Tencent error', async () => {
    stack.sandbox.fault('pyun', { mode: 'garbage', times: 1 });
    const res = await stack.tencent(PATH, statusSync());
    assert.equal(res.json.code, 500000);
    assert.match(res.json.message, /unreadable/);
  });

  test('a bad signature is refused with the masked string-to-sign and never reaches P云', async () => {
    stack.sandbox.clear();
    const res = await stack.tencent(PATH, statusSync(), { tamper: (b) => b.replace('"u-1"', '"u-2"') });
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 400005);
    assert.match(res.json.message, /user_code=u-2/);
    assert.match(res.json.message, /\*\*\*/);
    assert.ok(!res.body.includes(creds.sp.secret));
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0);
  });

  test('a timestamp 301 s old is refused', async () => {
    const res = await stack.tencent(PATH, statusSync(), { now: new Date(Date.now() - 301_000) });
    assert.equal(res.json.code, 400004);
    assert.match(res.json.message, /old \(accepted window ±300 s\)/);
  });

  test('a reused nonce is refused', async () => {
    const built = getDialect('tencent').buildRequest(
      { method: 'POST', path: PATH, encoding: 'json' },
      statusSync(),
      spCreds,
    );
    const first = await stack.post(PATH, built.body!, built.headers);
    assert.equal(first.json.code, 0);
    const again = await stack.post(PATH, built.body!, built.headers);
    assert.equal(again.json.code, 400004);
    assert.match(again.json.message, /nonce .* already used/);
  });

  test('schema violations name the field and the rule', async () => {
    const bad = await stack.tencent(PATH, statusSync({ coupon_status: 9 }));
    assert.equal(bad.json.code, 400000);
    assert.match(bad.json.message, /\/coupon_status/);
    const missing = await stack.tencent(PATH, statusSync({ user_code: undefined }));
    assert.equal(missing.json.code, 400000);
    assert.match(missing.json.message, /user_code/);
  });

  test('an oversized body is refused before parsing', async () => {
    const res = await stack.post(PATH, JSON.stringify({ pad: 'x'.repeat(70_000) }));
    assert.equal(res.status, 413);
    assert.equal(res.json.code, 400000);
    assert.match(res.json.message, /exceeds the 65536-byte limit/);
  });

  test('malformed JSON, unknown api_key, unknown path and wrong method answer in the Tencent envelope', async () => {
    const malformed = await stack.post(PATH, '{"api_key":');
    assert.equal(malformed.json.code, 400000);
    const unknown = await stack.tencent(PATH, statusSync(), {
      creds: { keyId: 'NOBODY', secret: 'x', scheme: 'tencent-md5' },
    });
    assert.equal(unknown.json.code, 400003);
    assert.match(unknown.json.message, /NOBODY/);
    const path = await stack.post('/tencent/no/such/path', '{}');
    assert.equal(path.json.code, 400001);
  });
});
