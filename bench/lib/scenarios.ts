/**
 * The scenarios. Each starts its own processes — the process under test on the SUT core, the
 * fake upstream behind it on the load-generator core — warms up, then measures one saturating
 * pass: throughput and latency from the load generator, CPU time and peak RSS from the process
 * under test (its own process.cpuUsage() before and after the pass).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMigrator } from '../../src/store/open';
import { projectRoot } from '../../src/util/paths';
import { SignedBodies } from './bodies';
import { spawnRole, type RoleProcess } from './child';
import {
  FORM_TYPE,
  GRANT_SYNC_FORM,
  GRANT_SYNC_PATH,
  isPyunSuccess,
  isTencentSuccess,
  JSON_TYPE,
  T1_PATH,
  T2_PATH,
  T2_ROUTE,
} from './fixture';
import { paced, saturate, type LoadTarget, type PassResult } from './load';
import { LOADGEN_CORE, SUT_CORE, type Pinning } from './pinning';
import type { Role } from './protocol';

export interface BenchOptions {
  pin: Pinning;
  warmupS: number;
  durationS: number;
  /** Length of a paced (fixed-rate) pass. */
  pacedS: number;
  connections: number;
  /** Throughput to presign for before the first warm-up of a couponbridge scenario. */
  expectRps: number;
  /** Write a CPU profile of the process under test over each measured pass to this file. */
  profileTo?: string;
  /** PostgreSQL server of the PostgreSQL scenarios (each in a fresh schema, dropped after). */
  pgUrl?: string;
}

export const DEFAULT_PG_URL =
  process.env.COUPONBRIDGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Measured {
  available: true;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Failed answers in warm-up and measured pass together; any is an invalid run. */
  failed: number;
  failureSamples: string[];
  cpuUsPerRequest: number;
  /** Peak RSS during the measured pass (saturation). */
  peakRssMb: number;
  /** Peak RSS over the process's life, start-up included. */
  lifetimePeakRssMb: number;
  /** CPU of the process under test, % of one core, during the pass: well under 100 % means
   * something else (load generator, other programs on the machine) limited the throughput. */
  sutCpuPct: number;
  /** CPU of the load generator plus helpers on its core, % of one core, during the pass. */
  loadgenCpuPct: number;
  /** Involuntary context switches of the process under test per second of the pass: other
   * programs, or its own GC and worker threads (pinned to the same core), took the core. */
  preemptionsPerS: number;
  /** Messages signed during a pass (pool ran dry): they cost load-generator CPU. */
  signedLate?: number;
  note?: string;
}

export interface Unavailable {
  available: false;
  reason: string;
  /** The scenario exists in this build but failed to run: the run is invalid. */
  error?: boolean;
}

export type ScenarioResult = Measured | Unavailable;

export interface PacedResult {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
  failureSamples: string[];
  /** Involuntary context switches of the process under test per second of the pass. */
  preemptionsPerS: number;
}

const MiB = 1024 * 1024;
const SETTLE_MS = 200;
const NOT_AVAILABLE = 'not available in this build';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function upstreamTarget(url: string): LoadTarget {
  return {
    url,
    path: GRANT_SYNC_PATH,
    contentType: FORM_TYPE,
    body: GRANT_SYNC_FORM,
    isSuccess: isPyunSuccess,
  };
}

function tencentTarget(url: string, path: string, bodies: SignedBodies): LoadTarget {
  return { url, path, contentType: JSON_TYPE, body: bodies.take, isSuccess: isTencentSuccess };
}

async function cpuOf(ps: RoleProcess[]): Promise<number> {
  const s = await Promise.all(ps.map((p) => p.stats()));
  return s.reduce((sum, x) => sum + x.cpuUs, 0);
}

/** Saturating passes on every target at once, connections split between them: one result. */
async function saturateAll(targets: LoadTarget[], connections: number, seconds: number): Promise<PassResult> {
  const per = Math.max(1, Math.floor(connections / targets.length));
  const passes = await Promise.all(targets.map((t) => saturate(t, per, seconds)));
  const requests = passes.reduce((n, p) => n + p.requests, 0);
  const secs = Math.max(...passes.map((p) => p.seconds));
  return {
    requests,
    seconds: secs,
    rps: requests / secs,
    // The slower instance's percentiles: the load balancer's clients see both.
    p50Ms: Math.max(...passes.map((p) => p.p50Ms)),
    p99Ms: Math.max(...passes.map((p) => p.p99Ms)),
    failed: passes.reduce((n, p) => n + p.failed, 0),
    failureSamples: passes.flatMap((p) => p.failureSamples),
  };
}

/**
 * Warm-up, then one measured saturating pass. `beforePass(warmRps)` runs between the two
 * (presigning for the measured pass) while the server is idle. With several processes under test
 * (instances behind a load balancer), the load is split evenly between `targets` (one each) and
 * CPU and RSS are summed over them.
 */
async function measure(
  suts: RoleProcess[],
  helpers: RoleProcess[],
  targets: LoadTarget[],
  o: BenchOptions,
  beforePass?: (warmRps: number) => void,
): Promise<Measured> {
  const sut = suts[0];
  const warm = await saturateAll(targets, o.connections, o.warmupS);
  beforePass?.(warm.rps);
  await Promise.all(suts.map((x) => x.window()));
  if (o.profileTo) await sut.profileStart();
  const before = await Promise.all(suts.map((x) => x.stats()));
  const side0 = (await cpuOf(helpers)) + ownCpuUs();
  const t0 = performance.now();
  const pass: PassResult = await saturateAll(targets, o.connections, o.durationS);
  await sleep(SETTLE_MS);
  const after = await Promise.all(suts.map((x) => x.stats()));
  if (o.profileTo) await sut.profileStop(o.profileTo);
  const elapsedUs = (performance.now() - t0) * 1000;
  const side1 = (await cpuOf(helpers)) + ownCpuUs();
  const sum = (f: (i: number) => number) => suts.reduce((n, _, i) => n + f(i), 0);
  const sutCpuUs = sum((i) => after[i].cpuUs - before[i].cpuUs);
  return {
    available: true,
    rps: pass.rps,
    p50Ms: pass.p50Ms,
    p99Ms: pass.p99Ms,
    requests: pass.requests,
    failed: warm.failed + pass.failed,
    failureSamples: [...warm.failureSamples, ...pass.failureSamples],
    cpuUsPerRequest: sutCpuUs / Math.max(1, pass.requests),
    peakRssMb: sum((i) => after[i].windowPeakRssBytes) / MiB,
    lifetimePeakRssMb: sum((i) => after[i].maxRssBytes) / MiB,
    sutCpuPct: (sutCpuUs / elapsedUs) * 100,
    loadgenCpuPct: ((side1 - side0) / elapsedUs) * 100,
    preemptionsPerS: sum((i) => after[i].preemptions - before[i].preemptions) / (elapsedUs / 1e6),
  };
}

function ownCpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

async function stopAll(ps: RoleProcess[]): Promise<void> {
  await Promise.all(ps.map((p) => p.stop()));
}

/** 1. The fake upstream alone, as the process under test. */
export async function direct(o: BenchOptions): Promise<Measured> {
  const up = await spawnRole('upstream', { pin: o.pin, core: SUT_CORE });
  try {
    return await measure([up], [], [upstreamTarget(up.url)], o);
  } finally {
    await stopAll([up]);
  }
}

/** 2 and 3. A reference proxy in front of the fake upstream. */
export async function proxied(
  role: Extract<Role, 'bare-proxy' | 'express-proxy'>,
  o: BenchOptions,
): Promise<Measured> {
  const up = await spawnRole('upstream', { pin: o.pin, core: LOADGEN_CORE });
  try {
    const px = await spawnRole(role, { pin: o.pin, core: SUT_CORE, args: { upstreamUrl: up.url } });
    try {
      return await measure([px], [up], [upstreamTarget(px.url)], o);
    } finally {
      await stopAll([px]);
    }
  } finally {
    await stopAll([up]);
  }
}

/**
 * couponbridge with a fresh SQLite ledger (or `store`) in front of a fake upstream; all stopped
 * after `fn`. Several `instances` share the store, one per core in turn (the first on the SUT core).
 */
async function withCouponbridge<T>(
  o: BenchOptions,
  fn: (cbs: RoleProcess[], up: RoleProcess) => Promise<T>,
  store?: string,
  instances = 1,
  cluster?: { workers?: number; core?: 'all'; offLoopWrites?: boolean },
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  const up = await spawnRole('upstream', { pin: o.pin, core: LOADGEN_CORE });
  const cbs: RoleProcess[] = [];
  try {
    // One after the other, as in the SQLite scenarios (the first would apply missing migrations).
    for (let i = 0; i < instances; i++) {
      const args = {
        upstreamUrl: up.url,
        workDir: join(dir, String(i)),
        store,
        workers: cluster?.workers,
        offLoopWrites: cluster?.offLoopWrites,
      };
      const core = cluster?.core ?? (i % 2 === 0 ? SUT_CORE : LOADGEN_CORE);
      cbs.push(await spawnRole('couponbridge', { pin: o.pin, core, args }));
    }
    return await fn(cbs, up);
  } finally {
    await stopAll(cbs);
    await stopAll([up]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Warm-up runs slower than the measured pass (JIT), so presign well beyond its rate. */
const PRESIGN_MARGIN = 2.5;

async function measureCouponbridge(
  cbs: RoleProcess[],
  up: RoleProcess,
  path: string,
  bodies: SignedBodies,
  o: BenchOptions,
): Promise<Measured> {
  bodies.ensure(Math.ceil(o.expectRps * o.warmupS * PRESIGN_MARGIN));
  const targets = cbs.map((cb) => tencentTarget(cb.url, path, bodies));
  const m = await measure(cbs, [up], targets, o, (warmRps) =>
    bodies.ensure(Math.ceil(warmRps * o.durationS * PRESIGN_MARGIN)),
  );
  return { ...m, signedLate: bodies.signedLate };
}

/**
 * 4. T1 translate at saturation; with `pacedAtHalf`, then a paced pass at half the measured
 * throughput on the same (warm) process.
 */
export async function translate(
  o: BenchOptions,
  bodies: SignedBodies,
  pacedAtHalf = false,
  offLoopWrites?: boolean,
): Promise<{ max: Measured; half?: PacedResult }> {
  return withCouponbridge(
    o,
    async ([cb], up) => {
      const max = await measureCouponbridge([cb], up, T1_PATH, bodies, o);
      if (!pacedAtHalf) return { max };
      const rate = Math.max(1, Math.floor(max.rps / 2));
      bodies.ensure(Math.ceil(rate * o.pacedS * 1.05) + o.connections);
      const half = await pacedOn(cb, tencentTarget(cb.url, T1_PATH, bodies), rate, o);
      return { max, half };
    },
    undefined,
    1,
    { offLoopWrites },
  );
}

export interface WritesResult {
  onLoop: { max: Measured; half?: PacedResult };
  offLoop: { max: Measured; half?: PacedResult };
}

/**
 * T1 translate with the journal and nonce commits on the event loop (as before issue 18), then on
 * the write thread (src/store/write-thread.ts), each saturating and then paced at half its own
 * maximum.
 */
export async function writesT1(o: BenchOptions, bodies: SignedBodies): Promise<WritesResult> {
  const onLoop = await translate(o, bodies, true, false);
  const offLoop = await translate({ ...o, expectRps: onLoop.max.rps }, bodies, true, true);
  return { onLoop, offLoop };
}

export interface WorkersResult {
  one: ScenarioResult;
  two: ScenarioResult;
  /** Cores of this machine (the load generator shares them). */
  cores: number;
}

/**
 * T1 translate with `server.workers: 1` and then 2 (issue 18), neither pinned (the load
 * generator stays on its core), so the ratio shows what a second process buys on this machine;
 * CPU and RSS add the workers to the primary.
 */
export async function workersT1(o: BenchOptions, bodies: SignedBodies): Promise<WorkersResult> {
  const run = (workers: number) =>
    withCouponbridge(o, ([cb], up) => measureCouponbridge([cb], up, T1_PATH, bodies, o), undefined, 1, {
      workers,
      core: 'all',
    });
  const one = await run(1);
  const two = await run(2);
  return { one, two, cores: cpus().length };
}

/**
 * 5. T2 claim with the SQLite ledger, when this build has the route; with `store` (PostgreSQL),
 * on that store with `instances` couponbridge processes sharing it, the load split evenly.
 */
export async function claim(
  o: BenchOptions,
  bodies: SignedBodies,
  store?: string,
  instances = 1,
): Promise<ScenarioResult> {
  return withCouponbridge(
    o,
    async (cbs, up) => {
      if (!cbs[0].routes.includes(T2_ROUTE)) return { available: false, reason: NOT_AVAILABLE };
      return measureCouponbridge(cbs, up, T2_PATH, bodies, o);
    },
    store,
    instances,
  );
}

/**
 * Runs `fn` with the URL of a fresh schema on the PostgreSQL server (dropped after); unavailable
 * when the server cannot be reached.
 */
export async function onPostgres(
  o: BenchOptions,
  fn: (store: string) => Promise<ScenarioResult>,
): Promise<ScenarioResult> {
  const { Client } = require('pg') as typeof import('pg');
  const base = o.pgUrl ?? DEFAULT_PG_URL;
  const schema = `cbbench_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (e) {
    return {
      available: false,
      reason: `PostgreSQL unreachable at ${new URL(base).host}: ${(e as Error).message}`,
    };
  }
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  try {
    // Migrated up front, as a deployment does (`couponbridge migrate apply`): instances start faster.
    const migrator = await openMigrator(u.toString());
    await migrator.apply().finally(() => migrator.close());
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/**
 * Rows enqueued for the drain: more than the worker can deliver in warm-up + measured pass. Fewer
 * on PostgreSQL, where enqueueing them (before the role is ready) costs a round trip each.
 */
const OUTBOX_ROWS_PER_S = 6000;
const OUTBOX_ROWS_PER_S_PG = 400;

/**
 * 6. Outbox drain rate: the worker delivering pre-enqueued notifications to the fake partner.
 * Throughput is deliveries per second over the measured window; latency is not measured.
 */
export async function outbox(o: BenchOptions, store?: string): Promise<ScenarioResult> {
  if (!existsSync(join(projectRoot(), 'src', 'outbox'))) return { available: false, reason: NOT_AVAILABLE };
  const count = Math.ceil((o.warmupS + o.durationS) * (store ? OUTBOX_ROWS_PER_S_PG : OUTBOX_ROWS_PER_S));
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  const partner = await spawnRole('upstream', { pin: o.pin, core: LOADGEN_CORE });
  try {
    const args = { upstreamUrl: partner.url, workDir: dir, count, store };
    const drain = await spawnRole('outbox', { pin: o.pin, core: SUT_CORE, args });
    try {
      return await measureDrain(drain, partner, count, o);
    } finally {
      await stopAll([drain]);
    }
  } finally {
    await stopAll([partner]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureDrain(
  drain: RoleProcess,
  partner: RoleProcess,
  count: number,
  o: BenchOptions,
): Promise<Measured> {
  await sleep(o.warmupS * 1000);
  await drain.window();
  if (o.profileTo) await drain.profileStart();
  const s0 = await drain.stats();
  const side0 = (await cpuOf([partner])) + ownCpuUs();
  const t0 = performance.now();
  await sleep(o.durationS * 1000);
  const s1 = await drain.stats();
  const elapsedUs = (performance.now() - t0) * 1000;
  const side1 = (await cpuOf([partner])) + ownCpuUs();
  if (o.profileTo) await drain.profileStop(o.profileTo);
  const delivered = s1.workDone - s0.workDone;
  const dry = s1.workDone + s1.workFailed >= count;
  return {
    available: true,
    rps: delivered / (elapsedUs / 1e6),
    p50Ms: NaN,
    p99Ms: NaN,
    requests: delivered,
    failed: s1.workFailed,
    failureSamples: s1.workFailureSamples,
    cpuUsPerRequest: (s1.cpuUs - s0.cpuUs) / Math.max(1, delivered),
    peakRssMb: s1.windowPeakRssBytes / MiB,
    lifetimePeakRssMb: s1.maxRssBytes / MiB,
    sutCpuPct: ((s1.cpuUs - s0.cpuUs) / elapsedUs) * 100,
    loadgenCpuPct: ((side1 - side0) / elapsedUs) * 100,
    preemptionsPerS: (s1.preemptions - s0.preemptions) / (elapsedUs / 1e6),
    note: dry
      ? `all ${count} rows were delivered before the pass ended: the rate is a lower bound`
      : undefined,
  };
}

/** The fake upstream alone at a fixed rate: the baseline of the added-latency target. */
export async function directPaced(o: BenchOptions, rate: number): Promise<PacedResult> {
  const up = await spawnRole('upstream', { pin: o.pin, core: SUT_CORE });
  try {
    const target = upstreamTarget(up.url);
    await paced(target, rate, Math.min(o.warmupS, o.pacedS), o.connections);
    return await pacedOn(up, target, rate, o);
  } finally {
    await stopAll([up]);
  }
}

/** A paced pass against `sut`, with the preemptions it suffered meanwhile. */
async function pacedOn(
  sut: RoleProcess,
  target: LoadTarget,
  rate: number,
  o: BenchOptions,
): Promise<PacedResult> {
  const before = await sut.stats();
  const p = await paced(target, rate, o.pacedS, o.connections);
  const after = await sut.stats();
  return {
    rate,
    p50Ms: p.p50Ms,
    p99Ms: p.p99Ms,
    requests: p.requests,
    failed: p.failed,
    failureSamples: p.failureSamples,
    preemptionsPerS: (after.preemptions - before.preemptions) / p.seconds,
  };
}
