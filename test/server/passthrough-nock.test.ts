/**
 * Unit test of the passthrough's outbound call with nock (http-proxy-middleware speaks node:http,
 * which nock intercepts; the undici pools of the translating path are tested against real
 * loopback servers instead, since nock does not intercept undici pools).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nock from 'nock';
import { request } from 'undici';
import { getDialect, getScheme, parseForm } from '../../src/dialects';
import { createLogger } from '../../src/log';
import { openStore } from '../../src/store/open';
import { startServer, type Running } from '../../src/server/start';
import { creds, legacyCreds, testConfig } from '../support/stack';

const PYUN = 'http://pyun.nock.test';
let running: Running;

before(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  running = await startServer(
    testConfig(
      { pyun: PYUN },
      {
        extraYaml: 'passthrough: { allow: [{ path: /gate/1.0/parking/order/query }, { path: /gate/1.0/x }] }',
      },
    ),
    {
      logger: createLogger({ level: 'error' }),
      store: await openStore('sqlite::memory:'),
      watch: false,
      outbox: false,
    },
  );
});
after(async () => {
  await running.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('passthrough outbound call (nock)', () => {
  test('P云 receives the business fields re-signed with couponbridge app_id; its answer comes back as is', async () => {
    let received: Record<string, string> = {};
    const scope = nock(PYUN)
      .post('/gate/1.0/parking/order/query', (body: string) => {
        received = parseForm(typeof body === 'string' ? body : new URLSearchParams(body).toString());
        return true;
      })
      .reply(200, '{"code":"1001","message":"ok","payload":{"n":1}}', { 'content-type': 'application/json' });
    const built = getDialect('pyun').buildRequest(
      { method: 'POST', path: '/x', encoding: 'form' },
      { park_uuid: 'p-1', plate: '粤B660PP' },
      legacyCreds,
    );
    const res = await request(`${running.url}/pyun/gate/1.0/parking/order/query`, {
      method: 'POST',
      headers: built.headers,
      body: built.body,
    });
    assert.equal(await res.body.text(), '{"code":"1001","message":"ok","payload":{"n":1}}');
    assert.ok(scope.isDone());
    assert.equal(received.app_id, creds.pyunUpstream.app_id);
    assert.equal(received.plate, '粤B660PP');
    const { sign, ...rest } = received;
    assert.equal(
      getScheme('pyun-form-md5').verify({ params: rest }, creds.pyunUpstream.app_secret, sign).ok,
      true,
    );
  });

  test('a P云 error status is streamed back unchanged', async () => {
    nock(PYUN).post('/gate/1.0/x').reply(503, 'busy');
    const built = getDialect('pyun').buildRequest(
      { method: 'POST', path: '/x', encoding: 'form' },
      { a: '1' },
      legacyCreds,
    );
    const res = await request(`${running.url}/pyun/gate/1.0/x`, {
      method: 'POST',
      headers: built.headers,
      body: built.body,
    });
    assert.equal(res.statusCode, 503);
    assert.equal(await res.body.text(), 'busy');
  });
});
