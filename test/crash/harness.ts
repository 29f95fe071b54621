/**
 * Crash harness (issue 6): couponbridge runs as a child process on a SQLite file against the
 * in-process sandbox; a stream of claims (T2), status syncs (T1) and P云 payment pushes (P1) is
 * sent while the child is killed with SIGKILL at random moments and restarted. Senders behave like
 * the real platforms: anything not acknowledged is sent again until it is. At the end the sandbox's
 * record is checked:
 *   - every acknowledged push produced its notification (Tencent /coupon/status/rsync, answered 0);
 *   - no notification was delivered again with a new key (one seq_id per coupon);
 *   - no coupon was redeemed twice at P云 (≤ one 1001 per grant_serial) nor granted twice per event.
 *
 * `runInstanceLoss` (issue 15) runs the same traffic against three instances sharing one
 * PostgreSQL schema, spread over the live ones, with the Tencent sandbox slowed so that
 * notifications are in flight; one instance is killed with SIGKILL while it holds leased outbox
 * rows and is not restarted. Besides the checks above: every row it held is delivered by another
 * instance after its lease, under its original key (seq_id).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { grantSerialFor, signedPyunPush, startSandbox, type Sandbox } from '../../src/sandbox';
import { eventIdFor } from '../../src/mapping/converters';
import { projectRoot } from '../../src/util/paths';
import { testMappings } from '../support/stack';

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

function configYaml(store: string, sb: Sandbox, port: number, leaseMs: number): string {
  return `
server: { host: 127.0.0.1, port: ${port}, shutdown_grace_ms: 200 }
store: "${store}"
mappings: "${testMappings('', ['sp-crash'])}"
log: { level: error }
upstreams:
  pyun: { base_url: "${sb.pyunUrl}", app_id: op-crash, app_secret: "\${PYUN_SECRET}", timeout_ms: 1000 }
  tencent: { base_url: "${sb.tencentUrl}", api_key: CRASHTENCENT, secret: "\${TENCENT_SECRET}", timeout_ms: 1000 }
partners:
  - { id: sp-crash, dialect: tencent, api_key: CRASHSPKEY, secret: "\${SP_SECRET}" }
outbox: { retry_schedule_ms: [100, 200, 400, 800, 1600, 3200, 6400], jitter: 0.2, poll_interval_ms: 50, lease_ms: ${leaseMs} }
`;
}

/** A port free right now (the instance keeps it across restarts: its worker id is host:port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1));

class Server {
  child?: ChildProcess;
  readonly url: string;
  /** The outbox worker id the instance leases under (src/outbox/worker.ts hostWorkerId). */
  readonly workerId: string;
  constructor(
    private readonly configFile: string,
    port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.workerId = `${hostname()}:${port}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'serve', '--config', this.configFile],
      {
        env: { ...process.env, ...secrets },
        stdio: ['ignore', process.env.CRASH_DEBUG ? 'inherit' : 'ignore', 'inherit'],
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
    if (!c || !this.alive) return;
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

/**
 * The platforms' side: claims, status syncs and P云 pushes sent to whichever instance `pick`
 * names, each re-sent until acknowledged (P云 sometimes re-sends anyway).
 */
class Traffic {
  readonly claims = new Map<string, { couponId?: string }>();
  readonly pushes = new Map<string, { couponId: string; grantSerial: string; acked: boolean }>();
  readonly redeems = new Map<string, boolean>();
  private stopped = false;
  private loop?: Promise<void>;
  private readonly tencent = getDialect('tencent');

  constructor(private readonly pick: () => Server) {}

  private async claim(requestId: string): Promise<void> {
    const built = this.tencent.buildRequest(
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
    const a = await post(`${this.pick().url}/tencent/sp/coupon/receive`, built.body!, built.headers);
    if (a?.code === 0) {
      const prev = this.claims.get(requestId)?.couponId;
      if (prev && prev !== a.data.coupon_id) throw new Error(`claim ${requestId} answered two coupon ids`);
      this.claims.set(requestId, { couponId: a.data.coupon_id });
    } else {
      if (process.env.CRASH_DEBUG) console.error('claim answer', JSON.stringify(a));
      if (!this.claims.has(requestId)) this.claims.set(requestId, {});
    }
  }

  private async push(paySerial: string): Promise<void> {
    const p = this.pushes.get(paySerial)!;
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
    const a = await post(`${this.pick().url}/pyun/notify/payment`, body, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    if (a?.code === '1001') p.acked = true;
  }

  private async redeem(couponId: string): Promise<void> {
    const built = this.tencent.buildRequest(
      { method: 'POST', path: '/', encoding: 'json' },
      { app_channel_id: 0, user_code: 'u', stock_id: 'cb-demo-001', coupon_id: couponId, coupon_status: 2 },
      sp,
    );
    const a = await post(`${this.pick().url}/tencent/coupon/status/rsync`, built.body!, built.headers);
    if (a?.code === 0) this.redeems.set(couponId, true);
  }

  private async resendUnacknowledged(alsoAcked: number): Promise<void> {
    for (const [rid, c] of this.claims) if (!c.couponId) await this.claim(rid);
    for (const [ps, p] of this.pushes) if (!p.acked || Math.random() < alsoAcked) await this.push(ps);
    for (const [cid, ok] of this.redeems) if (!ok) await this.redeem(cid);
  }

  start(): void {
    this.loop = (async () => {
      let n = 0;
      while (!this.stopped) {
        n++;
        const requestId = randomUUID().replace(/-/g, '');
        await this.claim(requestId);
        const couponId = this.claims.get(requestId)?.couponId;
        if (couponId && n % 3 === 0) {
          this.redeems.set(couponId, false);
          await this.redeem(couponId);
        } else if (couponId) {
          const paySerial = `PS${Date.now()}${n}`;
          this.pushes.set(paySerial, {
            couponId,
            grantSerial: grantSerialFor(eventIdFor('sp-crash', requestId)),
            acked: false,
          });
          await this.push(paySerial);
        }
        await this.resendUnacknowledged(0.02);
      }
    })();
  }

  /** Stops sending new messages, then re-sends until everything is acknowledged. */
  async settle(): Promise<void> {
    this.stopped = true;
    await this.loop;
    for (let round = 0; round < 50; round++) {
      const pending =
        [...this.claims.values()].filter((c) => !c.couponId).length +
        [...this.pushes.values()].filter((p) => !p.acked).length +
        [...this.redeems.values()].filter((r) => !r).length;
      if (pending === 0) break;
      await this.resendUnacknowledged(0);
    }
  }

  /** Coupons whose push was acknowledged: each must reach Tencent. */
  expected(): Set<string> {
    return new Set([...this.pushes.values()].filter((p) => p.acked).map((p) => p.couponId));
  }
}

/** The Tencent status notifications the sandbox answered with success. */
function deliveredNotifications(sb: Sandbox) {
  return sb
    .requests({ target: 'tencent', path: '/coupon/status/rsync' })
    .filter((r) => r.answer && JSON.parse(r.answer.body).code === 0);
}

/** Waits (bounded) until every expected notification reached the sandbox. */
async function awaitDeliveries(sb: Sandbox, expected: Set<string>, maxMs: number): Promise<void> {
  for (const end = Date.now() + maxMs; Date.now() < end;) {
    const got = new Set(deliveredNotifications(sb).map((r) => String(r.fields?.coupon_id)));
    if ([...expected].every((c) => got.has(c))) return;
    await sleep(100);
  }
}

function check(sb: Sandbox, traffic: Traffic, kills: number): CrashReport {
  const expected = traffic.expected();
  const seqIds = new Map<string, Set<string>>();
  const deliveries = deliveredNotifications(sb);
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
  return {
    kills,
    claimsAcked: [...traffic.claims.values()].filter((c) => c.couponId).length,
    pushesAcked: [...traffic.pushes.values()].filter((p) => p.acked).length,
    redeemsAcked: [...traffic.redeems.values()].filter(Boolean).length,
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
}

function crashSandbox(): Promise<Sandbox> {
  return startSandbox({
    pyun: { app_id: 'op-crash', app_secret: secrets.PYUN_SECRET },
    tencent: { api_key: 'CRASHTENCENT', secret: secrets.TENCENT_SECRET },
  });
}

/** One instance on a SQLite file, killed and restarted `kills` times. */
export async function runCrashTest(o: CrashOptions): Promise<CrashReport> {
  const log = o.log ?? (() => {});
  const sb = await crashSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'cb-crash-'));
  const port = await freePort();
  const configFile = join(dir, 'couponbridge.yaml');
  writeFileSync(configFile, configYaml(`sqlite:${join(dir, 'cb.db')}`, sb, port, 2000));
  const server = new Server(configFile, port);
  await server.start();
  const traffic = new Traffic(() => server);
  traffic.start();
  for (let k = 1; k <= o.kills; k++) {
    await sleep(rand(o.killEveryMs[0], o.killEveryMs[1]));
    await server.kill();
    log(`kill ${k}/${o.kills}: claims ${traffic.claims.size}, pushes ${traffic.pushes.size}`);
    await sleep(rand(0, 200));
    await server.start();
  }
  await sleep(500);
  await traffic.settle();
  await awaitDeliveries(sb, traffic.expected(), 30_000);
  await server.kill();
  const report = check(sb, traffic, o.kills);
  await sb.close();
  return report;
}

export interface InstanceLossOptions {
  /** A PostgreSQL URL with a `?schema=` of its own (fresh). */
  store: string;
  instances: number;
  /** Traffic before the kill. */
  runBeforeKillMs: number;
  /** Traffic after it, while the others take over. */
  runAfterKillMs: number;
  /** The outbox lease: the lost instance's rows are taken over once it has passed. */
  leaseMs: number;
  /** Every Tencent answer delayed by this much, so notifications are in flight at the kill. */
  tencentDelayMs: number;
  /** Reads the outbox rows an instance holds (state leased, leased_by = its worker id). */
  leasedBy(workerId: string): Promise<{ id: string; dedupKey: string; leaseUntil: Date }[]>;
  /** Reads an outbox row's state, holder and delivery time. */
  outboxRow(id: string): Promise<{ state: string; leasedBy?: string; deliveredAt?: Date }>;
  log?: (line: string) => void;
}

export interface InstanceLossReport extends CrashReport {
  instances: number;
  /** Outbox rows the killed instance held at its death. */
  leasedAtKill: number;
  /** Of those, delivered afterwards by another instance. */
  takenOver: number;
  /** Of those, the ones whose delivery reached Tencent under their original key (seq_id). */
  takenOverWithOriginalKey: number;
  /** Rows it held that were not delivered by another instance (must be empty). */
  notTakenOver: string[];
  /** Rows delivered by another instance before the dead one's lease had passed (must be empty). */
  takenOverBeforeLease: string[];
  /** Kill to the last taken-over delivery, ms (the rest of the lease, then a delivery). */
  takeOverMs: number;
}

/**
 * Three (or `instances`) instances on one PostgreSQL schema; one is killed with SIGKILL while it
 * holds leased outbox rows and stays dead; the others carry on.
 */
export async function runInstanceLoss(o: InstanceLossOptions): Promise<InstanceLossReport> {
  const log = o.log ?? (() => {});
  const sb = await crashSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'cb-loss-'));
  const servers: Server[] = [];
  for (let i = 0; i < o.instances; i++) {
    const port = await freePort();
    const configFile = join(dir, `couponbridge-${i}.yaml`);
    writeFileSync(configFile, configYaml(o.store, sb, port, o.leaseMs));
    servers.push(new Server(configFile, port));
  }
  try {
    // Together, as a deployment starts: the migrations are applied once, under the advisory lock.
    await Promise.all(servers.map((s) => s.start()));
    log(`${servers.length} instances listening`);
    for (const s of servers)
      s.child?.once('exit', (code, signal) => log(`${s.workerId} exited (${signal ?? code})`));
    sb.fault('tencent', { mode: 'slow', delayMs: o.tencentDelayMs });
    let turn = 0;
    const traffic = new Traffic(() => {
      const live = servers.filter((s) => s.alive);
      return live[turn++ % live.length];
    });
    traffic.start();
    await sleep(o.runBeforeKillMs);
    const victim = servers[servers.length - 1];
    // Kill it while it holds leases (bounded wait: it delivers continuously under this load).
    for (let i = 0; i < 200 && (await o.leasedBy(victim.workerId)).length === 0; i++) await sleep(10);
    await victim.kill();
    const killedAt = Date.now();
    const held = await o.leasedBy(victim.workerId);
    log(`killed ${victim.workerId} holding ${held.length} leased rows: ${held.map((h) => h.id).join(', ')}`);
    await sleep(o.runAfterKillMs);
    sb.fault('tencent', null);
    await traffic.settle();
    log(
      `settled: claims ${traffic.claims.size}, pushes ${traffic.pushes.size}, redeems ${traffic.redeems.size}`,
    );
    await awaitDeliveries(sb, traffic.expected(), 30_000);
    // The held rows are due again only after their lease: wait for them too.
    for (const end = Date.now() + o.leaseMs + 30_000; Date.now() < end; await sleep(100)) {
      const rows = await Promise.all(held.map((h) => o.outboxRow(h.id)));
      if (rows.every((r) => r.state === 'delivered')) break;
    }
    const seqIdsDelivered = new Set(deliveredNotifications(sb).map((r) => String(r.fields?.seq_id)));
    const after = await Promise.all(held.map(async (h) => ({ ...h, row: await o.outboxRow(h.id) })));
    const takenOver = after.filter(
      (h) =>
        h.row.state === 'delivered' && h.row.leasedBy !== undefined && h.row.leasedBy !== victim.workerId,
    );
    const report: InstanceLossReport = {
      ...check(sb, traffic, 1),
      instances: o.instances,
      leasedAtKill: held.length,
      takenOver: takenOver.length,
      takenOverWithOriginalKey: takenOver.filter((h) => seqIdsDelivered.has(h.dedupKey)).length,
      notTakenOver: after.filter((h) => !takenOver.includes(h)).map((h) => `${h.id} (${h.row.state})`),
      takenOverBeforeLease: takenOver
        .filter((h) => (h.row.deliveredAt?.getTime() ?? 0) < h.leaseUntil.getTime())
        .map((h) => h.id),
      takeOverMs: Math.max(0, ...takenOver.map((h) => (h.row.deliveredAt?.getTime() ?? killedAt) - killedAt)),
    };
    return report;
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
    await sb.close();
  }
}
