/**
 * The per-stage cost table (issue 18): CPU µs per operation of each stage of a T1 translate
 * (Tencent /coupon/status/rsync → P云 grant/sync), each measured in isolation on the same signed
 * messages the T1 scenario sends, with the real runtime the bench's couponbridge child builds
 * (shipped mappings, a fresh SQLite ledger, log level error). The pipeline's own exported stage
 * functions are timed, one stage at a time: a batch of exchanges is brought to the state just
 * before the stage, then only the stage runs over the batch. CPU time (process.cpuUsage), not
 * wall time, so other programs on a loaded machine cost the figures little.
 *
 * Asynchronous stages (replay check, upstream call, journal write) run 32 at a time, as the
 * scenarios' 32 connections do, so the store's group commit (one transaction per event-loop turn)
 * is measured as it happens under load. The upstream is the fake P云 in a child process on the
 * load-generator core: its CPU is not counted.
 *
 * A row marked "of which" is included in the row above it and not summed again.
 *
 * Bytes allocated per operation (the "alloc B" column and the "bytes allocated per request" sum):
 * one more round, untimed, with V8's sampling heap profiler (node:inspector HeapProfiler.startSampling,
 * a sample every 64 bytes allocated on average, objects already collected by minor and major GC
 * kept in the profile) running over each stage alone; the sampled sizes, which V8 scales to an
 * estimate of every byte allocated on the JavaScript heap, summed and divided by the batch. An
 * estimate, not a count, and of this thread's JavaScript heap only: Buffers' backing stores, native
 * (SQLite, OpenSSL) memory and a write thread's heap are not in it; the harness's own bookkeeping
 * (a Map entry per exchange for the stages that keep a result) is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/log';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { loadCheckedTable } from '../../src/server/reload';
import { createMetrics } from '../../src/server/metrics';
import { observe } from '../../src/server/app';
import { openStore, parseSqliteUrl } from '../../src/store/open';
import { startWriteThread, type WriteThread } from '../../src/store/write-thread';
import { closeRuntime, createRuntime, type Route, type Runtime } from '../../src/runtime';
import { newExchange, type Exchange } from '../../src/pipeline/context';
import { identify, parse, replay, validateInbound, verify } from '../../src/pipeline/stages/inbound';
import { buildFields, mapContext, selectBranch } from '../../src/pipeline/stages/map';
import { sign, upstreamOf, validateOutbound } from '../../src/pipeline/stages/outbound';
import { mapBack } from '../../src/pipeline/stages/answer';
import { loadLedgerCoupon } from '../../src/ledger/coupons';
import { journalRecord } from '../../src/ledger/journal';
import type { UpstreamAnswer } from '../../src/dialects/types';
import type { ExchangeRecord } from '../../src/store/types';
import { benchConfigYaml, writeBenchMappings } from '../roles/couponbridge';
import { spawnRole } from './child';
import { benchSecrets, JSON_TYPE, T1_PATH, T1_ROUTE, signedMessage } from './fixture';
import { LOADGEN_CORE, type Pinning } from './pinning';

export interface StageRow {
  stage: string;
  /** CPU µs per operation, every thread of the process (median of the measured rounds). */
  us: number;
  /** Event-loop busy µs per operation: what the stage holds every other exchange up by. */
  loopUs: number;
  /** The budget (README, Performance): what this stage may cost for T1 to meet its CPU target. */
  budgetUs: number;
  /** Included in the row above it (not summed again). */
  within?: boolean;
  /** JavaScript heap bytes allocated per operation (the sampling heap profiler's estimate). */
  bytes: number;
}

export interface StageTable {
  rows: StageRow[];
  /** Sum of the rows that are not "of which" rows. */
  totalUs: number;
  loopTotalUs: number;
  budgetTotalUs: number;
  /** Bytes allocated per request: the sum of the summed rows' `bytes`. */
  bytesTotal: number;
  bytesBudget: number;
  /** Exchanges per round and measured rounds. */
  batch: number;
  rounds: number;
}

/**
 * Budgets, CPU µs per T1 request. The target is CPU per request ≤ 2.0× the bare node:http proxy
 * (≈ 70 µs on this machine when quiet, so ≈ 140 µs for couponbridge); node:http's server side,
 * the event loop and GC (not in the table: the "rest" row of a full run) take about half the bare
 * proxy's cost, ≈ 35 µs, which leaves ≈ 105 µs for the stages below.
 */
const BUDGET_US: Record<string, number> = {
  parse: 4,
  'identify + verify (MD5)': 6,
  'replay check (nonce stored, group commit)': 10,
  'validate inbound': 3,
  'ledger lookup (store read)': 5,
  'map (context, branch, fields)': 6,
  'sign + encode (form, MD5)': 6,
  'validate outbound': 3,
  'undici call (client CPU)': 30,
  'answer parse (JSON, code)': 2,
  'validate upstream answer': 2,
  'map back + answer envelope': 6,
  'validate answer': 2,
  'journal record (build + redact)': 10,
  'journal write (SQLite, batched)': 6,
  'metrics + log': 2,
};

/**
 * Budget of JavaScript heap bytes allocated per T1 request, all stages together: what keeps the
 * young generation's collections (the "GC" of the rest row) and the RSS target (≤ 120 MB at
 * saturation) within reach — the wire texts of one exchange are ≈ 2 KB, and each is built, read
 * and journaled a few times.
 */
const BYTES_BUDGET = 24 * 1024;

const CONCURRENCY = 32;

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** Process CPU (every thread) and event-loop busy time, µs per item, since `start()`. */
interface Cost {
  cpu: number;
  loop: number;
  /** Heap bytes allocated per item, in the round run under the heap sampler. */
  bytes?: number;
}

/** V8's sampling heap profiler over one stage at a time (see the header). */
class AllocationSampler {
  private readonly session = new Session();
  constructor() {
    this.session.connect();
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  }

  start(): Promise<unknown> {
    return this.post('HeapProfiler.startSampling', {
      samplingInterval: 64,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** Bytes allocated since start(): the sum of every sampled node's (scaled) size. */
  async stop(): Promise<number> {
    type Node = { selfSize: number; children: Node[] };
    const { profile } = (await this.post('HeapProfiler.stopSampling')) as { profile: { head: Node } };
    let bytes = 0;
    const stack = [profile.head];
    for (let n = stack.pop(); n; n = stack.pop()) {
      bytes += n.selfSize;
      stack.push(...n.children);
    }
    return bytes;
  }

  close(): void {
    this.session.disconnect();
  }
}

function meter(n: number): () => Cost {
  const c0 = cpuUs();
  const e0 = performance.eventLoopUtilization();
  return () => ({ cpu: (cpuUs() - c0) / n, loop: (performance.eventLoopUtilization(e0).active * 1000) / n });
}

/** Cost per item of `op` over `items`, synchronously. */
function timeSync<T>(items: T[], op: (t: T) => void): Cost {
  const done = meter(items.length);
  for (const t of items) op(t);
  return done();
}

/** Cost per item of `op` over `items`, CONCURRENCY at a time (as 32 connections would). */
async function timeAsync<T>(items: T[], op: (t: T) => Promise<unknown>): Promise<Cost> {
  const done = meter(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) await op(items[next++]);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return done();
}

/** Cost per item of `op` started on every item at once, until all have settled. */
async function timeAll<T>(items: T[], op: (t: T) => Promise<unknown>): Promise<Cost> {
  const done = meter(items.length);
  await Promise.all(items.map(op));
  return done();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let made = 0;

/** Fresh exchanges on new signed messages (their nonces are unused). */
function exchanges(rt: Runtime, route: Route, n: number): Exchange[] {
  return Array.from({ length: n }, () =>
    newExchange(rt, route, {
      method: 'POST',
      path: T1_PATH,
      query: '',
      headers: { 'content-type': JSON_TYPE },
      body: Buffer.from(signedMessage('t1', made++)),
    }),
  );
}

/**
 * Each stage of one round, in pipeline order, each timed over the whole batch; with `sampler`,
 * each also run under the heap sampler (its bytes per exchange; its times are not used).
 */
async function round(
  rt: Runtime,
  route: Route,
  n: number,
  sampler?: AllocationSampler,
): Promise<Map<string, Cost>> {
  const t = new Map<string, Cost>();
  const xs = exchanges(rt, route, n);
  const metrics = createMetrics();
  const stage = async (name: string, run: () => Cost | Promise<Cost>): Promise<void> => {
    await sampler?.start();
    const cost = await run();
    if (sampler) cost.bytes = (await sampler.stop()) / n;
    t.set(name, cost);
  };
  await stage('parse', () => timeSync(xs, parse));
  await stage('identify + verify (MD5)', () =>
    timeSync(xs, (x) => {
      identify(x);
      verify(x);
    }),
  );
  await stage('replay check (nonce stored, group commit)', () => timeAsync(xs, replay));
  await stage('validate inbound', () => timeSync(xs, validateInbound));
  const coupons = new Map<Exchange, unknown>();
  await stage('ledger lookup (store read)', () =>
    timeAsync(xs, async (x) => coupons.set(x, await loadLedgerCoupon(x))),
  );
  const fields = new Map<Exchange, Record<string, unknown>>();
  await stage('map (context, branch, fields)', () =>
    timeSync(xs, (x) => {
      x.map = mapContext(x, undefined);
      selectBranch(x);
      fields.set(x, buildFields(x));
    }),
  );
  await stage('sign + encode (form, MD5)', () => timeSync(xs, (x) => sign(x, fields.get(x)!)));
  await stage('validate outbound', () => timeSync(xs, validateOutbound));
  const answers = new Map<Exchange, UpstreamAnswer>();
  await stage('undici call (client CPU)', () =>
    timeAsync(xs, async (x) => answers.set(x, await upstreamOf(x).client.send(x.outbound!))),
  );
  const target = route.target!;
  const bodies = new Map<Exchange, unknown>();
  // what the private readAnswer of stages/outbound.ts does before its schema check
  await stage('answer parse (JSON, code)', () =>
    timeSync(xs, (x) => {
      const body: unknown = JSON.parse(answers.get(x)!.body);
      bodies.set(x, body);
      x.upstream = {
        kind: 'answer',
        answer: answers.get(x)!,
        body,
        code: target.dialect.envelope.codeOf(body),
      };
    }),
  );
  await stage('validate upstream answer', () =>
    timeSync(xs, (x) => rt.registry.validate(target.answerSchema!, bodies.get(x))),
  );
  await stage('map back + answer envelope', () => timeSync(xs, mapBack));
  await stage('validate answer', () =>
    timeSync(xs, (x) =>
      rt.registry.validate(route.doc.inbound.answer_schema, x.answer!.json ?? JSON.parse(x.answer!.body)),
    ),
  );
  for (const x of xs)
    if (x.answer?.status !== 200) throw new Error(`stage table: ${x.id} did not succeed (${x.outcome})`);
  const records = new Map<Exchange, ExchangeRecord>();
  await stage('journal record (build + redact)', () => timeSync(xs, (x) => records.set(x, journalRecord(x))));
  // all at once, as at saturation: the writer's batches fill up (≤ 128 a transaction)
  await stage('journal write (SQLite, batched)', () =>
    timeAll(xs, async (x) => {
      const lost = await rt.journal.add(records.get(x)!);
      if (lost) throw lost;
    }),
  );
  await stage('metrics + log', () => timeSync(xs, (x) => observe(rt, metrics, x)));
  return t;
}

/** Runs the table: one warm-up round (JIT), then `rounds` measured rounds of `batch` exchanges. */
export async function measureStages(
  pin: Pinning,
  opts: { batch?: number; rounds?: number; offLoopWrites?: boolean } = {},
): Promise<StageTable> {
  const batch = opts.batch ?? 2000;
  const rounds = opts.rounds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'cb-stages-'));
  const up = await spawnRole('upstream', { pin, core: LOADGEN_CORE });
  let rt: Runtime | undefined;
  let writes: WriteThread | undefined;
  try {
    writeBenchMappings(join(dir, 'mappings'));
    const config = parseConfig(benchConfigYaml(up.url, dir), join(dir, 'bench.yaml'), {
      ...process.env,
      ...benchSecrets,
    });
    const registry = loadSchemaRegistry();
    const table = loadCheckedTable(config.mappings, { registry });
    const logger = createLogger({ level: config.log.level, maskPlates: config.log.mask_plates, secrets: [] });
    rt = createRuntime(config, { registry, logger, table, store: await openStore(config.store) });
    // journal and nonce commits on the write thread, as startServer does by default on a SQLite file
    if (opts.offLoopWrites === true) {
      writes = startWriteThread(parseSqliteUrl(config.store), {
        journal: rt.journal,
        nonces: rt.nonces,
        onFailover: (e) => logger.error('stage table: write thread failed', { error: e.message }),
      });
      rt.journal = writes.journal;
      rt.nonces = writes.nonces;
    }
    const route = rt.table.byId.get(T1_ROUTE);
    if (!route) throw new Error(`stage table: route ${T1_ROUTE} not loaded`);
    await round(rt, route, batch);
    const measured: Array<Map<string, Cost>> = [];
    for (let i = 0; i < rounds; i++) measured.push(await round(rt, route, batch));
    const sampler = new AllocationSampler();
    const allocated = await round(rt, route, batch, sampler).finally(() => sampler.close());
    const rows: StageRow[] = [...measured[0].keys()].map((stage) => ({
      stage,
      us: median(measured.map((m) => m.get(stage)!.cpu)),
      loopUs: median(measured.map((m) => m.get(stage)!.loop)),
      budgetUs: BUDGET_US[stage],
      within: stage === 'validate answer' || undefined,
      bytes: allocated.get(stage)!.bytes!,
    }));
    const summed = rows.filter((r) => !r.within);
    return {
      rows,
      totalUs: summed.reduce((s, r) => s + r.us, 0),
      loopTotalUs: summed.reduce((s, r) => s + r.loopUs, 0),
      budgetTotalUs: summed.reduce((s, r) => s + r.budgetUs, 0),
      bytesTotal: summed.reduce((s, r) => s + r.bytes, 0),
      bytesBudget: BYTES_BUDGET,
      batch,
      rounds,
    };
  } finally {
    await writes?.close();
    if (rt) await closeRuntime(rt);
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f1 = (n: number): string => n.toFixed(1);

/**
 * The printable table. `wholeRequestUs` (T1's CPU µs per request in a full run) adds the rest:
 * node:http's server side, the event loop, GC — what no stage row holds.
 */
export function formatStages(t: StageTable, wholeRequestUs?: number): string {
  const w = Math.max(...t.rows.map((r) => r.stage.length)) + 10;
  const line = (name: string, us: string, loop: string, budget: string, mark: string, bytes = '') =>
    `${name.padEnd(w)}${us.padStart(9)}${loop.padStart(9)}${budget.padStart(9)}  ${mark.padEnd(6)}${bytes.padStart(10)}`;
  const out = [
    `Per-stage cost, T1 translate (µs per operation, median of ${t.rounds} rounds of ${t.batch}; CPU: every`,
    'thread of the process; loop: event-loop busy wall time, what holds other exchanges up; alloc:',
    'JavaScript heap bytes allocated per operation, sampled in one more round)',
    line('stage', 'CPU', 'loop', 'budget', '', 'alloc B'),
  ];
  for (const r of t.rows) {
    const name = r.within ? `  of which ${r.stage}` : r.stage;
    const mark = r.us <= r.budgetUs ? 'within' : 'OVER';
    out.push(line(name, f1(r.us), f1(r.loopUs), f1(r.budgetUs), mark, r.bytes.toFixed(0)));
  }
  const fits = t.totalUs <= t.budgetTotalUs ? 'within' : 'OVER';
  out.push(
    line(
      'sum of stages',
      f1(t.totalUs),
      f1(t.loopTotalUs),
      f1(t.budgetTotalUs),
      fits,
      t.bytesTotal.toFixed(0),
    ),
  );
  const bytesFit = t.bytesTotal <= t.bytesBudget ? 'within' : 'OVER';
  out.push(
    `bytes allocated per request (sum of alloc): ${t.bytesTotal.toFixed(0)} B, budget ${t.bytesBudget} B  ${bytesFit}`,
  );
  if (wholeRequestUs !== undefined) {
    out.push(line('whole request (T1 scenario)', f1(wholeRequestUs), '', '', ''));
    out.push(line('rest: node:http, event loop, GC', f1(wholeRequestUs - t.totalUs), '', '', ''));
  }
  return out.join('\n');
}
