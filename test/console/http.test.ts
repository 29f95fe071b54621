/**
 * The console over plain HTTP: off without a token (404), 401 without or with a wrong token,
 * Bearer or login cookie let in, a strict Content-Security-Policy and no caching on pages,
 * content-hashed assets cached for a year, and the log-in cookie never carrying the token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startStack, type Stack } from '../support/stack';

const TOKEN = 'console-token-for-http-tests';
let on: Stack;
let off: Stack;

async function get(stack: Stack, path: string, headers: Record<string, string> = {}) {
  const r = await request(`${stack.url}${path}`, { headers });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

before(async () => {
  [on, off] = await Promise.all([
    startStack({ extraYaml: `console: { token: ${TOKEN} }` }),
    startStack({ extraYaml: `console: { token: '' }` }),
  ]);
});
after(async () => {
  await Promise.all([on.close(), off.close()]);
});

describe('console access', () => {
  test('no token configured: /console does not exist', async () => {
    for (const path of ['/console', '/console/login', '/console/exchanges']) {
      const r = await get(off, path, { authorization: 'Bearer anything' });
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /<html/);
    }
  });

  test('no token or a wrong one: 401 with the login form, nothing of the console', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { cookie: 'cb_console=forged' },
    ];
    for (const headers of attempts) {
      const r = await get(on, '/console/exchanges', headers);
      assert.equal(r.status, 401);
      assert.match(r.body, /name="token"/);
      assert.doesNotMatch(r.body, /id="exchanges"/);
    }
    const post = await request(`${on.url}/console/outbox/1/replay`, { method: 'POST' });
    assert.equal(post.statusCode, 401, 'actions too');
    await post.body.dump();
  });

  test('the right token as Bearer opens the pages, with a strict CSP and no caching', async () => {
    const r = await get(on, '/console', { authorization: `Bearer ${TOKEN}` });
    assert.equal(r.status, 200);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.doesNotMatch(
      r.body,
      /<script>|<script(?![^>]*(src=|type="application\/json"))|style="/,
      'no inline script or style',
    );
    const assets = [...r.body.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.equal(assets.length, 4, 'uPlot js+css, console js+css');
    for (const a of assets) {
      const x = await get(on, a);
      assert.equal(x.status, 200, a);
      assert.equal(x.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(a, /\.[0-9a-f]{12}\.(js|css)$/, 'content-hashed name');
    }
  });

  test('log in with the form: an HttpOnly SameSite=Strict cookie that is not the token', async () => {
    const r = await request(`${on.url}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    assert.equal(r.statusCode, 303);
    await r.body.dump();
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /^cb_console=[^;]+; Path=\/console; HttpOnly; SameSite=Strict/);
    assert.ok(!cookie.includes(TOKEN));
    const page = await get(on, '/console/outbox', { cookie: cookie.split(';')[0] });
    assert.equal(page.status, 200);
    assert.match(page.body, /id="outbox"/);
  });
});
