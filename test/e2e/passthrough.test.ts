/**
 * Flow X end to end: a legacy system signs with couponbridge-issued P云-style credentials,
 * couponbridge verifies, re-signs with the real P云 credentials and proxies; the answer comes
 * back unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getDialect, parseForm } from '../../src/dialects';
import { creds, legacyCreds, startStack, type Stack } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.close();
});

const pyun = getDialect('pyun');

describe('passthrough /pyun/gate/**', () => {
  test('a form request is verified, re-signed with the real app_id and proxied; the answer is unchanged', async () => {
    stack.sandbox.clear();
    const built = pyun.buildRequest(
      { method: 'POST', path: '/gate/1.0/parking/order/query', encoding: 'form' },
      { park_uuid: 'p-1', plate: '粤B660PP', note: 'a&b=c d' },
      legacyCreds,
    );
    const res = await stack.post('/pyun/gate/1.0/parking/order/query', built.body!, built.headers);
    assert.equal(res.status, 200);
    assert.equal(res.json.code, '1001', res.body);
    assert.equal(res.json.payload.plate, '粤B660PP');
    assert.equal(res.json.payload.note, 'a&b=c d');
    const sent = stack.sandbox.requests({ target: 'pyun' }).at(-1)!;
    assert.equal(sent.path, '/gate/1.0/parking/order/query');
    const f = parseForm(sent.body);
    assert.equal(f.app_id, creds.pyunUpstream.app_id);
    assert.notEqual(f.sign, parseForm(built.body!).sign);
    assert.equal(sent.answer!.body, res.body, 'answer streamed back byte for byte');
  });

  test('a JSON request signed in the Authorization header is re-signed the same way', async () => {
    const built = pyun.buildRequest(
      { method: 'POST', path: '/gate/1.0/trade/refund', encoding: 'json' },
      { pay_serial: '20220721102644066066610031', value: '1', reason: '接口测试退款' },
      { ...legacyCreds, scheme: 'pyun-json-md5' },
    );
    const res = await stack.post('/pyun/gate/1.0/trade/refund', built.body!, built.headers);
    assert.equal(res.json.code, '1001', res.body);
    const sent = stack.sandbox.requests({ target: 'pyun' }).at(-1)!;
    assert.equal(JSON.parse(sent.body).app_id, creds.pyunUpstream.app_id);
    assert.match(String(sent.headers.authorization), /^[0-9A-F]{32}$/);
  });

  test('a bad signature is refused in the P云 envelope with the masked string-to-sign, nothing proxied', async () => {
    stack.sandbox.clear();
    const built = pyun.buildRequest(
      { method: 'POST', path: '/x', encoding: 'form' },
      { park_uuid: 'p-1' },
      legacyCreds,
    );
    const res = await stack.post(
      '/pyun/gate/1.0/parking/order/query',
      built.body!.replace('p-1', 'p-2'),
      built.headers,
    );
    assert.equal(res.json.code, '1401');
    assert.match(res.json.hint, /park_uuid=p-2/);
    assert.match(res.json.hint, /app_secret=\*\*\*/);
    assert.ok(!res.body.includes(creds.legacy.app_secret));
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0);
  });

  test('an unknown app_id is refused', async () => {
    const built = pyun.buildRequest(
      { method: 'POST', path: '/x', encoding: 'form' },
      { a: '1' },
      { ...legacyCreds, keyId: 'op-nobody' },
    );
    const res = await stack.post('/pyun/gate/1.0/x', built.body!, built.headers);
    assert.equal(res.status, 401);
    assert.match(res.json.message, /op-nobody/);
  });

  test('P云 down answers a P云-shaped error', async () => {
    stack.sandbox.fault('pyun', { mode: 'down', times: 1 });
    const built = pyun.buildRequest(
      { method: 'POST', path: '/x', encoding: 'form' },
      { a: '1' },
      legacyCreds,
    );
    const res = await stack.post('/pyun/gate/1.0/x', built.body!, built.headers);
    assert.equal(res.status, 502);
    assert.equal(typeof res.json.code, 'string');
    assert.notEqual(res.json.code, '1001');
  });
});

describe('passthrough timeouts', () => {
  test('P云 slow answers a timeout error within timeout_ms plus one second', async () => {
    const s = await startStack({ pyunTimeoutMs: 500 });
    try {
      s.sandbox.fault('pyun', { mode: 'slow', delayMs: 3000, times: 1 });
      const built = pyun.buildRequest(
        { method: 'POST', path: '/x', encoding: 'form' },
        { a: '1' },
        legacyCreds,
      );
      const t0 = Date.now();
      const res = await s.post('/pyun/gate/1.0/x', built.body!, built.headers);
      assert.equal(res.status, 504);
      assert.ok(Date.now() - t0 < 1500);
    } finally {
      await s.close();
    }
  });
});
