/**
 * SIGTERM: couponbridge stops accepting, lets the exchange in flight finish and answer, stops its
 * outbox worker, and exits 0 within the grace period.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { startSandbox } from '../../src/sandbox';
import { projectRoot } from '../../src/util/paths';
import { creds, spCreds, testMappings } from '../support/stack';

test(
  'SIGTERM finishes the exchange in flight, then exits 0 within the grace period',
  { timeout: 60_000 },
  async () => {
    const sb = await startSandbox({ pyun: creds.pyunUpstream, tencent: creds.tencentUpstream });
    const dir = mkdtempSync(join(tmpdir(), 'cb-term-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const config = join(dir, 'couponbridge.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, port: ${port}, shutdown_grace_ms: 4000 }
store: "sqlite:${join(dir, 'cb.db')}"
mappings: "${testMappings()}"
grant_serial_fallback: coupon_id
log: { level: error }
upstreams:
  pyun: { base_url: "${sb.pyunUrl}", app_id: ${creds.pyunUpstream.app_id}, app_secret: "\${PYUN_SECRET}", timeout_ms: 3000 }
partners:
  - { id: sp-test, dialect: tencent, api_key: ${creds.sp.api_key}, secret: "\${SP_SECRET}" }
`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'serve', '--config', config],
      {
        env: { ...process.env, PYUN_SECRET: creds.pyunUpstream.app_secret, SP_SECRET: creds.sp.secret },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 200; i++) {
        const ok = await request(`${url}/healthz`).then(
          (r) => r.body.text().then(() => r.statusCode === 200),
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      sb.fault('pyun', { mode: 'slow', delayMs: 1000, times: 1 });
      const built = getDialect('tencent').buildRequest(
        { method: 'POST', path: '/', encoding: 'json' },
        {
          seq_id: randomUUID(),
          app_channel_id: 0,
          user_code: 'u',
          stock_id: 'cb-demo-001',
          coupon_id: `C${Date.now()}`,
          coupon_status: 2,
        },
        spCreds,
      );
      const inFlight = request(`${url}/tencent/coupon/status/rsync`, {
        method: 'POST',
        headers: built.headers,
        body: built.body,
      });
      await new Promise((r) => setTimeout(r, 300)); // the exchange is waiting on the slow P云
      const t0 = Date.now();
      child.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.statusCode, 200);
      assert.deepEqual(await res.body.json(), { code: 0, message: 'successful' });
      assert.equal(await exited, 0);
      assert.ok(Date.now() - t0 < 4000 + 1500, 'exited within the grace period');
      await assert.rejects(request(`${url}/healthz`), 'no longer accepting');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await sb.close();
    }
  },
);
