/**
 * The process policy in a real child process (test/server/policy-child.ts): operational faults
 * that escape — a store rejection nobody awaited, pg's unheard 'error' event, a socket reset thrown
 * from a timer — are logged and survived; a programming error is logged with its stack and the
 * exchange in flight, that exchange is still answered, and the process exits 70.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { CbError } from '../../src/errors';
import { isOperational, EXIT_PROGRAMMING_ERROR } from '../../src/server/process-policy';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { projectRoot } from '../../src/util/paths';
import { creds, spCreds, testMappings } from '../support/stack';

describe('process policy: what is survived, what ends the process', () => {
  test('classifies CbErrors, driver store errors and socket errors as operational; anything else is a bug', () => {
    assert.ok(isOperational(new CbError('CB_STORE_UNAVAILABLE')));
    assert.ok(isOperational(new Error('Connection terminated unexpectedly')));
    assert.ok(isOperational(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })));
    assert.ok(isOperational(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
    assert.ok(isOperational(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })));
    assert.ok(!isOperational(new TypeError("Cannot read properties of null (reading 'field')")));
    assert.ok(!isOperational(Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })));
    assert.ok(!isOperational('a string'));
    assert.ok(!isOperational(undefined));
  });

  let sb: Sandbox;
  let child: ChildProcess;
  let url: string;
  let exited: Promise<number | null>;
  const logs: Array<Record<string, unknown>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'cb-policy-'));

  before(async () => {
    sb = await startSandbox({ pyun: creds.pyunUpstream, tencent: creds.tencentUpstream });
    const config = join(dir, 'couponbridge.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, port: 0, shutdown_grace_ms: 4000 }
store: "sqlite:${join(dir, 'cb.db')}"
mappings: "${testMappings()}"
grant_serial_fallback: coupon_id
log: { level: warn }
upstreams:
  pyun: { base_url: "${sb.pyunUrl}", app_id: ${creds.pyunUpstream.app_id}, app_secret: "\${PYUN_SECRET}", timeout_ms: 3000 }
partners:
  - { id: sp-test, dialect: tencent, api_key: ${creds.sp.api_key}, secret: "\${SP_SECRET}" }
`,
    );
    child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot(), 'test/server/policy-child.ts'), config],
      {
        env: { ...process.env, PYUN_SECRET: creds.pyunUpstream.app_secret, SP_SECRET: creds.sp.secret },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      },
    );
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l) as Record<string, unknown>);
    });
    url = await new Promise<string>((resolve, reject) => {
      child.once('message', (m: { url: string }) => resolve(m.url));
      child.once('exit', (code) => reject(new Error(`child exited ${code} before listening`)));
    });
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const statusSync = () => {
    const built = getDialect('tencent').buildRequest(
      { method: 'POST', path: '/', encoding: 'json' },
      {
        seq_id: randomUUID(),
        app_channel_id: 0,
        user_code: 'u',
        stock_id: 'cb-demo-001',
        coupon_id: `C${randomUUID().slice(0, 10)}`,
        coupon_status: 2,
      },
      spCreds,
    );
    return request(`${url}/tencent/coupon/status/rsync`, {
      method: 'POST',
      headers: built.headers,
      body: built.body,
    });
  };

  const waitForLog = async (pred: (l: Record<string, unknown>) => boolean, what: string) => {
    for (let i = 0; i < 100; i++) {
      const found = logs.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no log line for ${what}: ${JSON.stringify(logs.slice(-5))}`);
  };

  test('operational faults that escape are logged and survived', async () => {
    const survived = () => logs.filter((l) => l.message === 'operational fault survived');
    for (const [i, fault] of ['store-rejection', 'pg-error-event', 'socket-reset'].entries()) {
      child.send(fault);
      await waitForLog(() => survived().length > i, fault);
      console.log(`[fault] ${fault}: survived, logged ${JSON.stringify(survived()[i])}`);
    }
    assert.deepEqual(
      survived().map((l) => l.kind),
      ['unhandledRejection', 'uncaughtException', 'uncaughtException'],
    );
    assert.equal(child.exitCode, null, 'still running');
    const res = await statusSync();
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { code: 0, message: 'successful' });
  });

  test(
    'a programming error: the exchange in flight is answered, the error logged with it, exit 70',
    { timeout: 30_000 },
    async () => {
      sb.fault('pyun', { mode: 'slow', delayMs: 1500, times: 1 });
      const inFlight = statusSync();
      await new Promise((r) => setTimeout(r, 400)); // the exchange waits on the slow P云
      const t0 = Date.now();
      child.send('programming-error');
      const res = await inFlight;
      assert.equal(res.statusCode, 200);
      assert.deepEqual(await res.body.json(), { code: 0, message: 'successful' });
      const code = await exited;
      console.log(
        `[fault] programming error: in-flight exchange answered 200, exit ${code} after ${Date.now() - t0} ms`,
      );
      assert.equal(code, EXIT_PROGRAMMING_ERROR);
      const line = await waitForLog(
        (l) => l.message === 'programming error: draining and exiting',
        'the bug',
      );
      assert.equal(line.exchange, res.headers['x-couponbridge-exchange']);
      assert.match(String(line.stack), /TypeError: Cannot read properties of null/);
    },
  );
});
