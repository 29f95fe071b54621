import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { dialects } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { EVENT_PATH, GRANT_SYNC_PATH, startSandbox, type Sandbox } from '../../src/sandbox';
import { send } from './http';

const APP = { app_id: 'op-fault-test', app_secret: 'fault-test-secret' };
const creds: Credentials = { keyId: APP.app_id, secret: APP.app_secret, scheme: 'pyun-form-md5' };
const redeem = (serial: string) =>
  dialects.pyun.buildRequest(
    { method: 'POST', path: GRANT_SYNC_PATH, encoding: 'form' },
    { park_uuid: 'p', grant_serial: serial, status: 1, apply_status: 1, coupon_value: 100, apply_value: 100 },
    creds,
  );
const grant = (eventId: string) =>
  dialects.pyun.buildRequest(
    { method: 'POST', path: EVENT_PATH, encoding: 'form' },
    { api_store_code: 's', api_type: 't', event_id: eventId, plate: '粤B660PP', subject: 's' },
    creds,
  );

describe('sandbox faults and recording', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ pyun: APP });
  });
  after(() => sb.close());
  beforeEach(() => {
    sb.fault('pyun', null);
    sb.clear();
  });

  test('records each request with its parsed fields and answer', async () => {
    await send(sb.pyunUrl, redeem('R-1'));
    const [rec] = sb.requests({ target: 'pyun', path: '/grant/sync' });
    assert.equal(rec.method, 'POST');
    assert.equal(rec.path, GRANT_SYNC_PATH);
    assert.equal(rec.fields?.grant_serial, 'R-1');
    assert.equal(rec.fields?.app_id, APP.app_id);
    assert.equal(rec.answer?.status, 200);
    assert.equal(JSON.parse(rec.answer?.body ?? '{}').code, '1001');
    assert.deepEqual(sb.requests({ target: 'tencent' }), []);
    sb.clear();
    assert.deepEqual(sb.requests(), []);
  });

  test('down: drops the connection without an answer', async () => {
    sb.fault('pyun', { mode: 'down' });
    await assert.rejects(send(sb.pyunUrl, redeem('D-1')));
    assert.equal(sb.requests()[0].fault, 'down');
    assert.equal(sb.requests()[0].answer, undefined);
    assert.equal(sb.requests()[0].fields?.grant_serial, 'D-1');
  });

  test('slow: answers normally after the delay', async () => {
    sb.fault('pyun', { mode: 'slow', delayMs: 300 });
    const started = Date.now();
    const r = await send(sb.pyunUrl, redeem('S-1'));
    assert.ok(Date.now() - started >= 290, 'answered too early');
    assert.equal(r.json.code, '1001');
  });

  test('garbage: 200 with a body that is not JSON', async () => {
    sb.fault('pyun', { mode: 'garbage' });
    const r = await send(sb.pyunUrl, redeem('G-1'));
    assert.equal(r.status, 200);
    assert.throws(() => JSON.parse(r.text));
  });

  test('http: the given status and body', async () => {
    sb.fault('pyun', { mode: 'http', status: 503, body: 'maintenance' });
    const r = await send(sb.pyunUrl, redeem('H-1'));
    assert.equal(r.status, 503);
    assert.equal(r.text, 'maintenance');
  });

  test('code: a P云 answer carrying the injected code, in each platform envelope', async () => {
    sb.fault('pyun', { mode: 'code', code: '1002', message: '车辆未入场' });
    const r = await send(sb.pyunUrl, grant('C-1'));
    assert.equal(r.json.code, '1002');
    assert.equal(r.json.message, '车辆未入场');
    sb.fault('tencent', { mode: 'code', code: '500000' });
    assert.equal(
      (await send(sb.tencentUrl, { method: 'POST', path: '/coupon/rsync', headers: {}, body: '{}' })).json
        .code,
      500000,
    );
    sb.fault('tencent', null);
    sb.fault('dianping', { mode: 'code', code: '3001001', message: '订单号重复' });
    const dp = await send(sb.dianpingUrl, { method: 'GET', path: '/api/coupon/consumeCoupon', headers: {} });
    assert.deepEqual(dp.json, { status: 'error', code: '3001001', message: '订单号重复' });
    sb.fault('dianping', null);
  });

  test('a fault limited by path and times affects only those requests', async () => {
    sb.fault('pyun', { mode: 'http', status: 500, path: '/mcoupon/event', times: 2 });
    assert.equal((await send(sb.pyunUrl, redeem('P-1'))).json.code, '1001');
    assert.equal((await send(sb.pyunUrl, grant('P-2'))).status, 500);
    assert.equal((await send(sb.pyunUrl, grant('P-2'))).status, 500);
    assert.equal((await send(sb.pyunUrl, grant('P-2'))).json.code, '1001');
  });

  test('refuses a malformed fault', () => {
    assert.throws(() => sb.fault('pyun', { mode: 'slow', delayMs: -1 }), /delayMs/);
    assert.throws(() => sb.fault('pyun', { mode: 'explode' } as never), /mode must be/);
  });

  test('the same controls work over HTTP', async () => {
    const post = await fetch(`${sb.pyunUrl}/__sandbox/fault`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'http', status: 502, times: 1 }),
    });
    assert.equal(post.status, 200);
    assert.equal((await send(sb.pyunUrl, redeem('X-1'))).status, 502);
    assert.equal((await send(sb.pyunUrl, redeem('X-1'))).json.code, '1001');
    const list = (await (await fetch(`${sb.pyunUrl}/__sandbox/requests?path=/grant/sync`)).json()) as Array<{
      fault?: string;
      fields: Record<string, string>;
    }>;
    assert.deepEqual(
      list.map((r) => [r.fault, r.fields.grant_serial]),
      [
        ['http', 'X-1'],
        [undefined, 'X-1'],
      ],
    );
    const bad = await fetch(`${sb.pyunUrl}/__sandbox/fault`, { method: 'POST', body: '{"mode":"slow"}' });
    assert.equal(bad.status, 400);
    await fetch(`${sb.pyunUrl}/__sandbox/requests`, { method: 'DELETE' });
    assert.deepEqual(sb.requests(), []);
  });
});

describe('sandbox platforms beyond the built-in three', () => {
  test('refuses a stub for a dialect the registry does not know, or one already simulated', async () => {
    const stub = { target: 'nowhere', handle: () => assert.fail(), codeAnswer: () => assert.fail() };
    await assert.rejects(
      startSandbox({ pyun: APP, platforms: { nowhere: stub } }),
      /unknown dialect "nowhere"/,
    );
    await assert.rejects(
      startSandbox({ pyun: APP, platforms: { pyun: { ...stub, target: 'pyun' } } }),
      /sandbox platform pyun is already simulated/,
    );
  });
});

describe('sandbox CLI', () => {
  test('prints its URLs as JSON and serves until SIGTERM', async () => {
    const cli = join(__dirname, '../../src/sandbox/cli.ts');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, '--pyun-app-id', APP.app_id, '--pyun-secret-env', 'SB_PYUN_SECRET'],
      { env: { ...process.env, SB_PYUN_SECRET: APP.app_secret }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const urls = JSON.parse(line.toString()) as {
        pyunUrl: string;
        tencentUrl: string;
        dianpingUrl: string;
      };
      assert.match(urls.tencentUrl, /^http:\/\/127\.0\.0\.1:\d+\/openplatform\/api\/v1\/coupon$/);
      assert.equal((await send(urls.pyunUrl, redeem('CLI-1'))).json.code, '1001');
    } finally {
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    }
  });

  test('refuses to start when the secret variable is not set', async () => {
    const cli = join(__dirname, '../../src/sandbox/cli.ts');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, '--pyun-app-id', 'a', '--pyun-secret-env', 'SB_UNSET_VAR'],
      {
        env: { ...process.env, SB_UNSET_VAR: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.notEqual(code, 0);
    assert.match(stderr, /SB_UNSET_VAR is not set/);
  });
});
