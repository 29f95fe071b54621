/**
 * Flow X end to end: a legacy system signs with couponbridge-issued P云-style credentials,
 * couponbridge verifies, re-signs with the real P云 credentials and proxies; the answer comes
 * back unchanged.
 */
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { getDialect, parseForm } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { creds, legacyCreds, startStack, type Stack } from '../support/stack';

const allowYaml = `passthrough:
  allow:
    - { path: /gate/1.0/parking/order/query }
    - { path: /gate/1.0/trade/**, methods: [POST] }
    - { path: /gate/1.0/x }
    - { path: /gate/1.0/parking/park/info, methods: [GET] }`;

let stack: Stack;
before(async () => {
  stack = await startStack({ extraYaml: allowYaml });
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
    const s = await startStack({ pyunTimeoutMs: 500, extraYaml: allowYaml });
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

/** Sends exactly this request line (node:http does not normalise the path as URL parsers do). */
function rawPost(
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: any }> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signed(
  fields: Record<string, unknown> = { park_uuid: 'p-1' },
  as: Credentials = legacyCreds,
  now?: Date,
) {
  return pyun.buildRequest({ method: 'POST', path: '/x', encoding: 'form' }, fields, as, now);
}

describe('passthrough: only allowed P云 paths, fresh requests, headers built from scratch (issue 11)', () => {
  test('paths leaving /gate/ are refused before anything is sent: .., encoded dots, backslashes, //', async () => {
    stack.sandbox.clear();
    const paths = [
      '/pyun/gate/../../admin/secret',
      '/pyun/gate/1.0/parking/order/query/../../../../admin/secret',
      '/pyun/gate/%2e%2e/%2e%2e/admin/secret',
      '/pyun/gate/%2E%2E/admin/secret',
      '/pyun/gate/1.0/parking/order/query%2f..%2f..%2fadmin',
      '/pyun/gate/..%5c..%5cadmin',
      '/pyun/gate/1.0\\..\\..\\admin',
      '/pyun/gate//admin/secret',
      '/pyun/gate/1.0/parking//order/query',
      '/pyun/gate/./1.0/parking/order/query',
    ];
    for (const path of paths) {
      const built = signed();
      const res = await rawPost(path, built.body!, built.headers);
      assert.equal(res.json.code, '1400', `${path}: ${JSON.stringify(res.json)}`);
      assert.equal(res.status, 404, path);
    }
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0, 'P云 received nothing');
  });

  test('a P云 path not in passthrough.allow is refused, even to a partner with valid credentials', async () => {
    stack.sandbox.clear();
    for (const path of [
      '/pyun/gate/1.0/parking/mcoupon/event',
      '/pyun/gate/1.0/parking/internal/mcoupon/grant/sync',
    ]) {
      const built = signed();
      const res = await stack.post(path, built.body!, built.headers);
      assert.equal(res.json.code, '1400', path);
      assert.equal(res.status, 404);
    }
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 0);
  });

  test('a stale timestamp and a replayed request are refused', async () => {
    stack.sandbox.clear();
    const stale = signed({ park_uuid: 'p-1' }, legacyCreds, new Date(Date.now() - 10 * 60_000));
    const old = await stack.post('/pyun/gate/1.0/parking/order/query', stale.body!, stale.headers);
    assert.equal(old.json.code, '1401');
    assert.match(old.json.message, /old \(accepted window ±300 s\)/);
    const built = signed();
    const first = await stack.post('/pyun/gate/1.0/parking/order/query', built.body!, built.headers);
    assert.equal(first.json.code, '1001');
    const again = await stack.post('/pyun/gate/1.0/parking/order/query', built.body!, built.headers);
    assert.equal(again.json.code, '1401');
    assert.match(again.json.message, /already used/);
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, 1);
  });

  test('a GET on an allowed GET path is re-signed in its query; the same path by POST is refused', async () => {
    stack.sandbox.clear();
    const built = pyun.buildRequest(
      { method: 'GET', path: '/pyun/gate/1.0/parking/park/info', encoding: 'query' },
      { park_uuid: 'p-9' },
      legacyCreds,
    );
    const res = await request(`${stack.url}${built.path}`, { method: 'GET' });
    const json = (await res.body.json()) as { code: string };
    assert.equal(json.code, '1001');
    const sent = stack.sandbox.requests({ target: 'pyun' }).at(-1)!;
    assert.equal(sent.method, 'GET');
    assert.equal(sent.path, '/gate/1.0/parking/park/info');
    const q = new URLSearchParams(sent.query);
    assert.equal(q.get('app_id'), creds.pyunUpstream.app_id);
    assert.equal(q.get('park_uuid'), 'p-9');
    const post = signed();
    const refused = await stack.post('/pyun/gate/1.0/parking/park/info', post.body!, post.headers);
    assert.equal(refused.json.code, '1400');
  });

  test('the unsigned query string is dropped and client headers are not forwarded', async () => {
    stack.sandbox.clear();
    const built = signed();
    const res = await rawPost('/pyun/gate/1.0/parking/order/query?app_id=op-evil&extra=1', built.body!, {
      ...built.headers,
      cookie: 'session=abc',
      'x-forwarded-for': '10.0.0.1',
      'x-evil': '1',
      authorization: 'Bearer stolen',
    });
    assert.equal(res.json.code, '1001');
    const sent = stack.sandbox.requests({ target: 'pyun' }).at(-1)!;
    assert.equal(sent.path, '/gate/1.0/parking/order/query');
    assert.equal(sent.query, '', 'no query string');
    const names = Object.keys(sent.headers).sort();
    for (const h of ['cookie', 'x-forwarded-for', 'x-evil', 'authorization', 'transfer-encoding']) {
      assert.ok(!names.includes(h), `${h} not forwarded: ${names.join(', ')}`);
    }
    assert.match(String(sent.headers['user-agent']), /^couponbridge\//);
    assert.match(String(sent.headers['x-couponbridge-exchange']), /^x/);
    assert.equal(Number(sent.headers['content-length']), Buffer.byteLength(sent.body));
  });
});
