/**
 * `server.workers: 2` (src/server/cluster.ts): a real `couponbridge serve` with two worker
 * processes on one port and one SQLite file answers translated requests from both workers (told
 * apart by the `worker` label of /metrics, scraped over fresh connections, and by their pids in
 * the primary's log); a worker killed with SIGKILL is replaced; SIGTERM to the primary lets an
 * exchange in flight finish and answer, then every process exits and the primary exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../src/config/load';
import { getDialect } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { startSandbox } from '../../src/sandbox';
import { restartDelayMs, workerCount } from '../../src/server/cluster';
import { projectRoot } from '../../src/util/paths';
import { creds, spCreds, testMappings } from '../support/stack';

interface Answer {
  status: number;
  body: string;
}

/** One request on its own connection (no keep-alive), so the primary hands it to the next worker. */
function send(
  url: string,
  path: string,
  body?: { headers: Record<string, string>; text: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: body ? 'POST' : 'GET', agent: false, headers: body?.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body?.text);
  });
}

const LIMITED: Credentials = {
  keyId: 'SPLIMITED01',
  secret: 'sp-limited-secret-0001',
  scheme: 'tencent-md5',
};

function t1Message(from: Credentials = spCreds): { headers: Record<string, string>; text: string } {
  const built = getDialect('tencent').buildRequest(
    { method: 'POST', path: '/', encoding: 'json' },
    {
      seq_id: randomUUID(),
      app_channel_id: 0,
      user_code: 'u',
      stock_id: 'cb-demo-001',
      coupon_id: `C${randomUUID().slice(0, 8)}`,
      coupon_status: 2,
    },
    from,
  );
  return { headers: built.headers as Record<string, string>, text: built.body! };
}

const SUCCESS = JSON.stringify({ code: 0, message: 'successful' });

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 150_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('workerCount: a number as given (at least 1), auto as the cores node may use', async () => {
  const { availableParallelism } = await import('node:os');
  assert.equal(workerCount(1), 1);
  assert.equal(workerCount(3), 3);
  assert.equal(workerCount(undefined), 1);
  assert.equal(workerCount('auto'), availableParallelism());
});

test('server.workers: an integer from 1 or auto, nothing else', () => {
  const yaml = (workers: string) =>
    `server: { workers: ${workers} }\nupstreams: { pyun: { base_url: "http://127.0.0.1:1", app_id: a, app_secret: "\${S}" } }\n`;
  const env = { S: 'pyun-upstream-secret-0001' };
  assert.equal(parseConfig(yaml('4'), 'c.yaml', env).server.workers, 4);
  assert.equal(parseConfig(yaml('auto'), 'c.yaml', env).server.workers, 'auto');
  for (const bad of ['0', '1.5', 'all']) {
    assert.throws(() => parseConfig(yaml(bad), 'c.yaml', env), /workers/, `workers: ${bad}`);
  }
});

test('restart backoff: 0.5 s, doubling while replacements keep dying, capped at 30 s', () => {
  assert.deepEqual(
    [-1, 0, 1, 2, 3, 10].map((n) => restartDelayMs(n)),
    [500, 500, 1000, 2000, 4000, 30_000],
  );
});

test(
  'two workers share the port, the SQLite store and rate limits; a killed worker is replaced; SIGTERM drains both',
  { timeout: 300_000 },
  async () => {
    const sb = await startSandbox({ pyun: creds.pyunUpstream, tencent: creds.tencentUpstream });
    const dir = mkdtempSync(join(tmpdir(), 'cb-cluster-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const config = join(dir, 'couponbridge.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, port: ${port}, shutdown_grace_ms: 4000, workers: 2 }
store: "sqlite:${join(dir, 'cb.db')}"
mappings: "${testMappings()}"
grant_serial_fallback: coupon_id
log: { level: info }
upstreams:
  pyun: { base_url: "${sb.pyunUrl}", app_id: ${creds.pyunUpstream.app_id}, app_secret: "\${PYUN_SECRET}", timeout_ms: 3000 }
partners:
  - { id: sp-test, dialect: tencent, api_key: ${creds.sp.api_key}, secret: "\${SP_SECRET}" }
  - { id: sp-limited, dialect: tencent, api_key: ${LIMITED.keyId}, secret: "\${LIMITED_SECRET}", rate_limit: { per_second: 0.01, burst: 4 } }
`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'serve', '--config', config],
      {
        env: {
          ...process.env,
          PYUN_SECRET: creds.pyunUpstream.app_secret,
          SP_SECRET: creds.sp.secret,
          LIMITED_SECRET: LIMITED.secret,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const logs: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log entry
      }
    });
    const listening = () => logs.filter((l) => l.message === 'worker listening');
    const pidOf = (slot: number) =>
      listening()
        .filter((l) => l.worker === slot)
        .map((l) => l.pid as number)
        .at(-1);
    try {
      const url = `http://127.0.0.1:${port}`;
      await until('both workers listening', () => (pidOf(1) && pidOf(2) ? true : undefined));
      const [pid1, pid2] = [pidOf(1)!, pidOf(2)!];
      assert.notEqual(pid1, pid2, 'two worker processes');
      assert.notEqual(pid1, child.pid);

      // translated requests answered, on fresh connections, so by both workers in turn
      for (let i = 0; i < 6; i++) {
        const a = await send(url, '/tencent/coupon/status/rsync', t1Message());
        assert.equal(a.status, 200);
        assert.equal(a.body, SUCCESS);
      }
      const seen = new Set<string>();
      await until('both workers in /metrics', async () => {
        const m = await send(url, '/metrics');
        const label = /couponbridge_exchanges_total\{[^}]*worker="(\d+)"[^}]*\} (\d+)/.exec(m.body);
        if (label && Number(label[2]) > 0) seen.add(label[1]);
        return seen.size === 2 ? true : undefined;
      });
      assert.deepEqual([...seen].sort(), ['1', '2'], 'both workers answered translated requests');

      // a partner's rate limit is one count across the workers (kept by the primary), not one each
      const limited: number[] = [];
      for (let i = 0; i < 8; i++) {
        limited.push((await send(url, '/tencent/coupon/status/rsync', t1Message(LIMITED))).status);
      }
      assert.equal(limited.filter((st) => st === 429).length, 4, `burst 4 of 8: ${limited.join(' ')}`);
      assert.deepEqual(limited.slice(4), [429, 429, 429, 429]);

      // a worker killed outright is replaced (same slot, new pid) and the port keeps answering
      process.kill(pid1, 'SIGKILL');
      const died = await until('the death logged', () =>
        logs.find((l) => l.message === 'worker died unexpectedly: replacing it'),
      );
      assert.equal(died.worker, 1);
      assert.equal(died.pid, pid1);
      assert.equal(died.signal, 'SIGKILL');
      const replacement = await until('a replacement', () => {
        const p = pidOf(1);
        return p !== pid1 ? p : undefined;
      });
      assert.notEqual(replacement, pid2);
      for (let i = 0; i < 4; i++) {
        const a = await send(url, '/tencent/coupon/status/rsync', t1Message());
        assert.equal(a.body, SUCCESS);
      }

      // SIGTERM to the primary while an exchange waits on a slow P云: it is answered, all exit, 0
      sb.fault('pyun', { mode: 'slow', delayMs: 1000, times: 1 });
      const inFlight = send(url, '/tencent/coupon/status/rsync', t1Message());
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      child.kill('SIGTERM');
      const a = await inFlight;
      assert.equal(a.status, 200);
      assert.equal(a.body, SUCCESS);
      assert.equal(await exited, 0);
      assert.ok(Date.now() - t0 < 4000 + 3000, 'stopped within the grace period');
      for (const pid of [replacement, pid2]) {
        assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`);
      }
      await assert.rejects(send(url, '/healthz'), 'no longer accepting');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const l of listening()) {
        try {
          process.kill(l.pid as number, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sb.close();
    }
  },
);
