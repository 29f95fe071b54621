/**
 * Crash harness (issue 6): couponbridge runs as a child process on a SQLite file against the
 * in-process sandbox; a stream of claims (T2), status syncs (T1) and P云 payment pushes (P1) is
 * sent while the child is killed with SIGKILL at random moments and restarted. Senders behave like
 * the real platforms: anything not acknowledged is sent again until it is. At the end the sandbox's
 * record is checked:
 *   - every acknowledged push produced its notification (Tencent /coupon/status/rsync, answered 0);
 *   - no notification was delivered again with a new key (one seq_id per coupon);
 *   - no coupon was redeemed twice at P云 (≤ one 1001 per grant_serial) nor granted twice per event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { grantSerialFor, signedPyunPush, startSandbox, type Sandbox } from '../../src/sandbox';
import { projectRoot } from '../../src/util/paths';

export interface CrashOptions {
  kills: number;
  /** Milliseconds between kills, picked uniformly in this range. */
  killEveryMs: [number, number];
  log?: (line: string) => void;
}

export interface CrashReport {
  kills: number;
  claimsAcked: number;
  pushesAcked: number;
  redeemsAcked: number;
  notificationsExpected: number;
  notificationsDelivered: number;
  notificationDeliveries: number;
  duplicateDeliveriesSameKey: number;
  couponsWithSeveralKeys: string[];
  missingNotifications: string[];
  grantSerialsRedeemedTwice: string[];
  eventsGrantedTwice: string[];
  redeemAttemptsRefusedAsDuplicate: number;
}

const secrets = {
  PYUN_SECRET: 'crash-pyun-secret-000001',
  TENCENT_SECRET: 'crash-tencent-secret-0001',
  SP_SECRET: 'crash-sp-secret-00000001',
};
const sp = { keyId: 'CRASHSPKEY', secret: secrets.SP_SECRET, scheme: 'tencent-md5' as const };

function configYaml(dir: string, sb: Sandbox, port: number): string {
  return `
server: { host: 127.0.0.1, port: ${port}, shutdown_grace_ms: 200 }
store: "sqlite:${join(dir, 'cb.db')}"
mappings: "${join(projectRoot(), 'mappings')}"
log: { level: error }
upstreams:
  pyun: { base_url: "${sb.pyunUrl}", app_id: op-crash, app_secret: "\${PYUN_SECRET}", timeout_ms: 1000 }
  tencent: { base_url: "${sb.tencentUrl}", api_key: CRASHTENCENT, secret: "\${TENCENT_SECRET}", timeout_ms: 1000 }
partners:
  - { id: sp-crash, dialect: tencent, api_key: CRASHSPKEY, secret: "\${SP_SECRET}" }
outbox: { retry_schedule_ms: [100, 200, 400, 800, 1600, 3200, 6400], jitter: 0.2, poll_interval_ms: 50, lease_ms: 2000 }
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1));

class Server {
  child?: ChildProcess;
  constructor(
    private readonly configFile: string,
    readonly url: string,
  ) {}

  async start(): Promise<void> {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'serve', '--config', this.configFile],
      {
        env: { ...process.env, ...secrets },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    // 30 s: a loaded CI host can take over 10 s to start a tsx child.
    for (let i = 0; i < 600; i++) {
      try {
        const r = await request(`${this.url}/healthz`);
        await r.body.text();
        if (r.statusCode === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    // A child left running would keep the test process (and npm test) alive.
    await this.kill();
    throw new Error('couponbridge did not start within 30 s');
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<any | undefined> {
  try {
    const r = await request(url, { method: 'POST', body, headers, headersTimeout: 3000, bodyTimeout: 3000 });
    const text = await r.body.text();
    return JSON.parse(text);
  } catch {
    await sleep(20); // connection refused or cut by the kill: not acknowledged; back off a little
    return undefined;
  }
}

export async function runCrashTest(o: CrashOptions): Promise<CrashReport> {
  const log = o.log ?? (() => {});
  const sb = await startSandbox({
    pyun: { app_id: 'op-crash', app_secret: secrets.PYUN_SECRET },
    tencent: { api_key: 'CRASHTENCENT', secret: secrets.TENCENT_SECRET },
  });
  const dir = mkdtempSync(join(tmpdir(), 'cb-crash-'));
  const port = 20000 + rand(0, 20000);
  const configFile = join(dir, 'couponbridge.yaml');
  writeFileSync(configFile, configYaml(dir, sb, port));
  const server = new Server(configFile, `http://127.0.0.1:${port}`);
  await server.start();
  const tencent = getDialect('tencent');
  const claims = new Map<string, { couponId?: string }>();
  const pushes = new Map<string, { couponId: string; grantSerial: string; acked: boolean }>();
  const redeems = new Map<string, boolean>();

  const claim = async (requestId: string) => {
    const built = tencent.buildRequest(
      { method: 'POST', path: '/', encoding: 'json' },
      {
        app_channel_id: 0,
        user_code: `u-${requestId.slice(0, 6)}`,
        stock_id: 'cb-demo-001',
        request_id: requestId,
        extra: '{"plate":"粤B660PP"}',
      },
      sp,
    );
    const a = await post(`${server.url}/tencent/sp/coupon/receive`, built.body!, built.headers);
    if (a?.code === 0) {
      const prev = claims.get(requestId)?.couponId;
      if (prev && prev !== a.data.coupon_id) throw new Error(`claim ${requestId} answered two coupon ids`);
      claims.set(requestId, { couponId: a.data.coupon_id });
    } else {
      if (process.env.CRASH_DEBUG) console.error('claim answer', JSON.stringify(a));
      if (!claims.has(requestId)) claims.set(requestId, {});
    }
  };
  const pushFor = async (paySerial: string) => {
    const p = pushes.get(paySerial)!;
    const body = signedPyunPush(
      {
        park_uuid: 'p',
        park_name: '测试停车场',
        parking_serial: `PK${paySerial}`,
        pay_serial: paySerial,
        pay_value: '100',
        pay_time: String(Date.now()),
        plate: '粤B660PP',
        channel: '200102',
        identity: 'x',
        mcoupons: JSON.stringify([
          {
            coupon_name: '券',
            coupon_code: p.couponId,
            store_name: 's',
            store_code: 's',
            coupon_type: '1',
            coupon_value: '500',
            grant_time: String(Date.now()),
            grant_serial: p.grantSerial,
          },
        ]),
      },
      'op-crash',
      secrets.PYUN_SECRET,
    );
    const a = await post(`${server.url}/pyun/notify/payment`, body, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    if (a?.code === '1001') p.acked = true;
  };
  const redeem = async (couponId: string) => {
    const built = tencent.buildRequest(
      { method: 'POST', path: '/', encoding: 'json' },
      { app_channel_id: 0, user_code: 'u', stock_id: 'cb-demo-001', coupon_id: couponId, coupon_status: 2 },
      sp,
    );
    const a = await post(`${server.url}/tencent/coupon/status/rsync`, built.body!, built.headers);
    if (a?.code === 0) redeems.set(couponId, true);
  };

  let stop = false;
  const traffic = (async () => {
    let n = 0;
    while (!stop) {
      n++;
      const requestId = randomUUID().replace(/-/g, '');
      await claim(requestId);
      const couponId = claims.get(requestId)?.couponId;
      if (couponId && n % 3 === 0) {
        redeems.set(couponId, false);
        await redeem(couponId);
      } else if (couponId) {
        const paySerial = `PS${Date.now()}${n}`;
        pushes.set(paySerial, { couponId, grantSerial: grantSerialFor(requestId), acked: false });
        await pushFor(paySerial);
      }
      // Platforms re-send what was not acknowledged (and P云 sometimes re-sends anyway).
      for (const [rid, c] of claims) if (!c.couponId) await claim(rid);
      for (const [ps, p] of pushes) if (!p.acked || Math.random() < 0.02) await pushFor(ps);
      for (const [cid, ok] of redeems) if (!ok) await redeem(cid);
    }
  })();

  for (let k = 1; k <= o.kills; k++) {
    await sleep(rand(o.killEveryMs[0], o.killEveryMs[1]));
    await server.kill();
    log(`kill ${k}/${o.kills}: claims ${claims.size}, pushes ${pushes.size}`);
    await sleep(rand(0, 200));
    await server.start();
  }
  await sleep(500);
  stop = true;
  await traffic;
  // Settle: everything sent until acknowledged, then let the outbox drain.
  for (let round = 0; round < 50; round++) {
    const pending =
      [...claims.entries()].filter(([, c]) => !c.couponId).length +
      [...pushes.values()].filter((p) => !p.acked).length +
      [...redeems.values()].filter((r) => !r).length;
    if (pending === 0) break;
    for (const [rid, c] of claims) if (!c.couponId) await claim(rid);
    for (const [ps, p] of pushes) if (!p.acked) await pushFor(ps);
    for (const [cid, ok] of redeems) if (!ok) await redeem(cid);
  }
  const expected = new Set([...pushes.values()].filter((p) => p.acked).map((p) => p.couponId));
  const delivered = () =>
    sb
      .requests({ target: 'tencent', path: '/coupon/status/rsync' })
      .filter((r) => r.answer && JSON.parse(r.answer.body).code === 0);
  for (let i = 0; i < 300; i++) {
    const got = new Set(delivered().map((r) => String(r.fields?.coupon_id)));
    if ([...expected].every((c) => got.has(c))) break;
    await sleep(100);
  }
  await server.kill();

  const seqIds = new Map<string, Set<string>>();
  const deliveries = delivered();
  for (const r of deliveries) {
    const c = String(r.fields?.coupon_id);
    if (!seqIds.has(c)) seqIds.set(c, new Set());
    seqIds.get(c)!.add(String(r.fields?.seq_id));
  }
  const ok1001 = (path: string, key: string) => {
    const count = new Map<string, number>();
    for (const r of sb.requests({ target: 'pyun', path })) {
      if (!r.answer || JSON.parse(r.answer.body).code !== '1001') continue;
      const k = String(r.fields?.[key]);
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    return [...count.entries()].filter(([, n]) => n > 1).map(([k]) => k);
  };
  const redeemAttempts = sb.requests({
    target: 'pyun',
    path: '/gate/1.0/parking/internal/mcoupon/grant/sync',
  });
  const report: CrashReport = {
    kills: o.kills,
    claimsAcked: [...claims.values()].filter((c) => c.couponId).length,
    pushesAcked: [...pushes.values()].filter((p) => p.acked).length,
    redeemsAcked: [...redeems.values()].filter(Boolean).length,
    notificationsExpected: expected.size,
    notificationsDelivered: seqIds.size,
    notificationDeliveries: deliveries.length,
    duplicateDeliveriesSameKey: deliveries.length - seqIds.size,
    couponsWithSeveralKeys: [...seqIds.entries()].filter(([, s]) => s.size > 1).map(([c]) => c),
    missingNotifications: [...expected].filter((c) => !seqIds.has(c)),
    grantSerialsRedeemedTwice: ok1001('/gate/1.0/parking/internal/mcoupon/grant/sync', 'grant_serial'),
    eventsGrantedTwice: ok1001('/gate/1.0/parking/mcoupon/event', 'event_id'),
    redeemAttemptsRefusedAsDuplicate: redeemAttempts.filter(
      (r) => r.answer && JSON.parse(r.answer.body).code === '1403',
    ).length,
  };
  await sb.close();
  return report;
}
