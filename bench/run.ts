/**
 * `npm run bench` — issue 7's benchmark, all on loopback, in one run (~1.5 min):
 *   1 direct        autocannon → fake P云 (a node:http server answering the success envelope)
 *   2 bare proxy    autocannon → node:http reverse proxy (keep-alive Agent, 32 sockets) → fake P云
 *   3 express+hpm   autocannon → express + http-proxy-middleware (same Agent) → fake P云
 *   4 T1 translate  autocannon → couponbridge (startServer, shipped mappings) → fake P云, signed
 *                   Tencent /coupon/status/rsync messages, each with its own nonce (presigned)
 *   5 T2 claim      as 4 with /sp/coupon/receive and the SQLite ledger, when the build has it
 *   6 outbox drain  the outbox worker delivering pre-enqueued Tencent status notifications to a
 *                   fake partner (deliveries/s), when the build has an outbox worker
 *   7, 8 T2 claim on PostgreSQL (a fresh schema of --pg-url) with one couponbridge instance, then
 *                   two sharing the schema, the load split evenly (the second on core 1)
 *   9 outbox drain on PostgreSQL
 *   (7–9 are "not available" when the server cannot be reached)
 *   then a paced (open-loop) pass at ½ of T1's maximum through T1 and through the fake P云 alone:
 *   p99 added latency = p99(translate) − p99(direct) at that rate.
 *
 * Method: every process under test is a child (bench/child.ts, bundled by esbuild, plain node),
 * so its CPU (process.cpuUsage) and peak RSS are its own; per scenario 2 s warm-up, then an 8 s
 * saturating autocannon pass with 32 connections; CPU per request = the child's CPU during the
 * pass ÷ requests answered; RSS = the child's peak RSS during the pass (sampled every 50 ms; the
 * lifetime peak, start-up included, is in the JSON). Every answer is checked (2xx and the success envelope); any failure
 * is printed and marks the run invalid (exit code 1).
 *
 * Pinning: with taskset (util-linux) and ≥ 2 cores, the process under test runs on core 0 and the
 * load generator (this process) plus the fake P云 behind a proxy on core 1 ("LG core" column:
 * their CPU as % of one core; near 100 % means the load generator, not the server, was the limit).
 * Without taskset nothing is pinned and the report says so. "SUT CPU" well under 100 % in a
 * saturating pass, a high "preempt/s" (involuntary context switches of the process under test) or
 * the load-average warning mean the machine was not quiet: compare CPU µs/req, which suffers least.
 *
 * Options: --warmup S, --duration S, --paced S, --connections N, --out FILE, --pg-url URL,
 * --only claim-pg,claim-pg-2,outbox-pg (just those PostgreSQL scenarios), --only stages (just the
 * per-stage cost table, lib/stages.ts: ~20 s), --only workers (T1 with server.workers 1 and 2),
 * --only stages-thread (the table with journal and nonce commits on the write thread, as
 * startServer does by default on a SQLite file), --only writes (T1 with journal and nonce commits on the event loop, then on the write thread),
 * and --profile, which
 * adds a T1 run with the V8 CPU profiler over its measured pass and prints the hot spots by self
 * time (source file and line through the bundle's source map); the profile is kept in
 * bench/results/translate.cpuprofile (open it in Chrome DevTools or speedscope).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { projectRoot } from '../src/util/paths';
import { SignedBodies } from './lib/bodies';
import { childBundle } from './lib/build';
import { pinLoadGenerator } from './lib/pinning';
import { formatProfile, summarizeProfile, type ProfileSummary } from './lib/profile';
import { formatStages, measureStages, type StageTable } from './lib/stages';
import {
  formatPartialReport,
  formatReport,
  summarize,
  summarizePartial,
  type BenchReport,
  type ScenarioName,
} from './lib/report';
import {
  claim,
  DEFAULT_PG_URL,
  direct,
  directPaced,
  onPostgres,
  outbox,
  proxied,
  translate,
  workersT1,
  writesT1,
  type BenchOptions,
  type ScenarioResult,
  type WorkersResult,
} from './lib/scenarios';
import { formatWorkers, formatWrites, workersValid, writesValid } from './lib/workers-report';

interface CliOptions {
  warmup: number;
  duration: number;
  paced: number;
  connections: number;
  out: string;
  profile: boolean;
  only?: string;
  pgUrl: string;
}

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

function progress(what: string): void {
  process.stderr.write(`bench: ${what}\n`);
}

/** Runs a scenario that may be under construction: a failure is reported, not fatal to the run. */
async function attempt(run: () => Promise<ScenarioResult>): Promise<ScenarioResult> {
  try {
    return await run();
  } catch (e) {
    return { available: false, reason: `FAILED: ${(e as Error).message.split('\n')[0]}`, error: true };
  }
}

async function runAll(
  o: BenchOptions,
): Promise<BenchReport & { stages: StageTable; workers: WorkersResult }> {
  const [loadAvg1m] = loadavg();
  progress('per-stage cost table');
  const stages = await measureStages(o.pin);
  progress('direct');
  const d = await direct(o);
  progress('bare node:http proxy');
  const bare = await proxied('bare-proxy', o);
  progress('express + http-proxy-middleware');
  const exp = await proxied('express-proxy', o);
  progress('couponbridge T1 translate (saturating, then paced at ½)');
  const t1 = await translate({ ...o, expectRps: Math.max(bare.rps, exp.rps) }, new SignedBodies('t1'), true);
  progress(`fake P云 alone paced at ${t1.half!.rate} req/s`);
  const directHalf = await directPaced(o, t1.half!.rate);
  progress('couponbridge T2 claim');
  const t2 = await attempt(() => claim({ ...o, expectRps: t1.max.rps }, new SignedBodies('t2')));
  progress('outbox drain');
  const drain = await attempt(() => outbox(o));
  progress('couponbridge T1 translate with server.workers 1, then 2');
  const workers = await workersT1({ ...o, expectRps: t1.max.rps }, new SignedBodies('t1'));
  const pg = await runPostgres(o, t2.available ? t2.rps : t1.max.rps, ALL_PG);
  const report = summarize(
    {
      direct: d,
      bareProxy: bare,
      expressProxy: exp,
      translate: t1.max,
      claim: t2,
      outbox: drain,
      claimPg1: pg.claimPg1!,
      claimPg2: pg.claimPg2!,
      outboxPg: pg.outboxPg!,
      half: { direct: directHalf, translate: t1.half! },
    },
    o,
    loadAvg1m,
  );
  return { ...report, stages, workers, valid: report.valid && workersValid(workers) };
}

type PgScenario = 'claim-pg' | 'claim-pg-2' | 'outbox-pg';
const ALL_PG: PgScenario[] = ['claim-pg', 'claim-pg-2', 'outbox-pg'];
/** --only choices besides the PostgreSQL scenarios. */
const OTHER_ONLY = ['stages', 'stages-thread', 'workers', 'writes'];

/** The PostgreSQL scenarios (issue 15), each on a fresh schema of --pg-url. */
async function runPostgres(
  o: BenchOptions,
  expectRps: number,
  which: PgScenario[],
): Promise<Partial<Record<ScenarioName, ScenarioResult>>> {
  const out: Partial<Record<ScenarioName, ScenarioResult>> = {};
  const claimOn = (instances: number) =>
    attempt(() =>
      onPostgres(o, (store) => claim({ ...o, expectRps }, new SignedBodies('t2'), store, instances)),
    );
  if (which.includes('claim-pg')) {
    progress('couponbridge T2 claim on PostgreSQL, one instance');
    out.claimPg1 = await claimOn(1);
  }
  if (which.includes('claim-pg-2')) {
    progress('couponbridge T2 claim on PostgreSQL, two instances');
    out.claimPg2 = await claimOn(2);
  }
  if (which.includes('outbox-pg')) {
    progress('outbox drain on PostgreSQL');
    out.outboxPg = await attempt(() => onPostgres(o, (store) => outbox(o, store)));
  }
  return out;
}

/** T1 again with the V8 profiler running over its measured pass; the profile is kept. */
async function profileTranslate(o: BenchOptions, expectRps: number): Promise<ProfileSummary> {
  const file = join(projectRoot(), 'bench', 'results', 'translate.cpuprofile');
  progress('couponbridge T1 translate, profiled');
  await translate({ ...o, expectRps, profileTo: file }, new SignedBodies('t1'));
  return summarizeProfile(file, { bundle: childBundle() });
}

function t1CpuUs(r: BenchReport): number | undefined {
  const t = r.scenarios.translate;
  return t.available ? t.cpuUsPerRequest : undefined;
}

async function main(): Promise<void> {
  const cli = new Command('bench')
    .option('--warmup <s>', 'warm-up seconds per scenario', positive, 2)
    .option('--duration <s>', 'measured seconds per scenario', positive, 8)
    .option('--paced <s>', 'seconds of each paced (½ rate) pass', positive, 6)
    .option('--connections <n>', 'autocannon connections', positive, 32)
    .option('--out <file>', 'JSON report', join(projectRoot(), 'bench', 'results', 'latest.json'))
    .option('--profile', 'also profile T1 translate and print its hot spots', false)
    .option(
      '--only <scenarios>',
      `run only these, comma-separated (${[...ALL_PG, ...OTHER_ONLY].join(', ')})`,
    )
    .option('--pg-url <url>', 'PostgreSQL server of the PostgreSQL scenarios', DEFAULT_PG_URL)
    .parse(process.argv)
    .opts<CliOptions>();
  const o: BenchOptions = {
    pin: pinLoadGenerator(),
    warmupS: cli.warmup,
    durationS: cli.duration,
    pacedS: cli.paced,
    connections: Math.round(cli.connections),
    expectRps: 5000,
    pgUrl: cli.pgUrl,
  };
  if (cli.only !== undefined) {
    const which = cli.only.split(',').map((x) => x.trim());
    const known = [...ALL_PG, ...OTHER_ONLY];
    const unknown = which.filter((x) => !known.includes(x));
    if (unknown.length > 0)
      throw new Error(`--only: unknown scenario(s) ${unknown.join(', ')} (${known.join(', ')})`);
    const [loadAvg1m] = loadavg();
    const out: Record<string, unknown> = { date: new Date().toISOString(), loadAvg1m };
    let valid = true;
    if (which.includes('stages')) {
      progress('per-stage cost table');
      const stages = await measureStages(o.pin);
      console.log(formatStages(stages) + '\n');
      out.stages = stages;
    }
    if (which.includes('stages-thread')) {
      progress('per-stage cost table, journal and nonce commits on the write thread');
      const stages = await measureStages(o.pin, { offLoopWrites: true });
      console.log('(journal and nonce commits on the write thread)\n' + formatStages(stages) + '\n');
      out.stagesThread = stages;
    }
    if (which.includes('workers')) {
      progress('couponbridge T1 translate with server.workers 1, then 2');
      const w = await workersT1(o, new SignedBodies('t1'));
      console.log(formatWorkers(w) + '\n');
      out.workers = w;
      valid &&= workersValid(w);
    }
    if (which.includes('writes')) {
      progress('couponbridge T1 translate, commits on the event loop, then on the write thread');
      const w = await writesT1(o, new SignedBodies('t1'));
      console.log(formatWrites(w) + '\n');
      out.writes = w;
      valid &&= writesValid(w);
    }
    const pgWhich = which.filter((x): x is PgScenario => ALL_PG.includes(x as PgScenario));
    if (pgWhich.length > 0) {
      const partial = summarizePartial(await runPostgres(o, o.expectRps, pgWhich), o, loadAvg1m);
      console.log(formatPartialReport(partial));
      out.postgres = partial;
      valid &&= partial.valid;
    }
    mkdirSync(dirname(cli.out), { recursive: true });
    writeFileSync(cli.out, JSON.stringify(out, null, 2) + '\n');
    console.log(`\nwritten: ${relative(process.cwd(), cli.out)}`);
    if (!valid) process.exitCode = 1;
    return;
  }
  const report = await runAll(o);
  if (cli.profile) {
    const t = report.scenarios.translate;
    const summary = await profileTranslate(o, t.available ? t.rps : o.expectRps);
    report.profile = { ...summary, file: relative(projectRoot(), summary.file) };
    console.log(formatProfile(report.profile) + '\n');
  }
  console.log(formatStages(report.stages, t1CpuUs(report)) + '\n');
  console.log(formatReport(report));
  console.log('\n' + formatWorkers(report.workers));
  mkdirSync(dirname(cli.out), { recursive: true });
  writeFileSync(cli.out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten: ${relative(process.cwd(), cli.out)}`);
  if (!report.valid) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
