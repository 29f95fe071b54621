/**
 * Turns scenario results into the report: ratios, the issue-7 targets as met / not met with the
 * measured value, a printable table, and the JSON written to bench/results/latest.json.
 * A scenario with any failed answer (or one that failed to run) makes the run invalid and every
 * target built on it "invalid".
 */
import { availableParallelism, cpus } from 'node:os';
import type { Pinning } from './pinning';
import type { ProfileSummary } from './profile';
import type { BenchOptions, Measured, PacedResult, ScenarioResult, Unavailable } from './scenarios';

export interface Results {
  direct: Measured;
  bareProxy: Measured;
  expressProxy: Measured;
  translate: Measured;
  claim: ScenarioResult;
  outbox: ScenarioResult;
  /** T2 claim on PostgreSQL with one and with two instances; the outbox drain on PostgreSQL. */
  claimPg1: ScenarioResult;
  claimPg2: ScenarioResult;
  outboxPg: ScenarioResult;
  half: { direct: PacedResult; translate: PacedResult };
}

export type ScenarioName = Exclude<keyof Results, 'half'>;

export type TargetStatus = 'met' | 'not met' | 'not available' | 'invalid (failures)';

export interface Target {
  name: string;
  goal: string;
  value: string;
  status: TargetStatus;
}

export interface BenchReport {
  date: string;
  node: string;
  /** loadAvg1m: the 1-minute load average when the run started (other programs' load). */
  machine: { cpu: string; cores: number; loadAvg1m: number };
  pinning: Pinning;
  options: Pick<BenchOptions, 'warmupS' | 'durationS' | 'pacedS' | 'connections'>;
  scenarios: Record<ScenarioName, ScenarioResult>;
  halfRate: Results['half'] & { addedP99Ms: number };
  ratios: {
    translateOverExpress: number;
    translateCpuOverBare: number;
    claimOverTranslate: number | null;
    claimPgTwoOverOne: number | null;
  };
  targets: Target[];
  /** False when any answer failed or a scenario failed to run: the numbers then measure errors. */
  valid: boolean;
  profile?: ProfileSummary;
}

const RSS_LIMIT_MB = 120;
/** The targets of issue 18 (the hot path near the floor); they replaced issue 7's. */
const GOALS = {
  translateOverExpress: 1.0,
  translateCpuOverBare: 2.0,
  addedP99Ms: 5,
  claimOverTranslate: 0.5,
};
/** A 1-minute load average above this when the run starts means the machine was not idle. */
const BUSY_LOAD = 0.5;

function ok(...xs: Array<ScenarioResult | PacedResult>): boolean {
  return xs.every((x) => ('failed' in x ? x.failed === 0 : !('error' in x && x.error)));
}

function target(
  name: string,
  goal: string,
  value: number,
  fmt: (v: number) => string,
  pass: boolean,
  valid: boolean,
): Target {
  return {
    name,
    goal,
    value: fmt(value),
    status: !valid ? 'invalid (failures)' : pass ? 'met' : 'not met',
  };
}

function missing(name: string, goal: string, s: Unavailable): Target {
  return { name, goal, value: s.reason, status: s.error ? 'invalid (failures)' : 'not available' };
}

const x2 = (v: number): string => `${v.toFixed(2)}×`;

function targetsOf(r: Results, ratios: BenchReport['ratios'], addedP99Ms: number): Target[] {
  const t: Target[] = [
    target(
      'translate ÷ express+hpm throughput',
      `≥ ${GOALS.translateOverExpress}×`,
      ratios.translateOverExpress,
      x2,
      ratios.translateOverExpress >= GOALS.translateOverExpress,
      ok(r.translate, r.expressProxy),
    ),
    target(
      'translate ÷ bare-proxy CPU per request',
      `≤ ${GOALS.translateCpuOverBare}×`,
      ratios.translateCpuOverBare,
      x2,
      ratios.translateCpuOverBare <= GOALS.translateCpuOverBare,
      ok(r.translate, r.bareProxy),
    ),
    target(
      `p99 added latency at ${r.half.translate.rate} req/s (½ max)`,
      `≤ ${GOALS.addedP99Ms} ms`,
      addedP99Ms,
      (v) => `${v.toFixed(2)} ms`,
      addedP99Ms <= GOALS.addedP99Ms,
      ok(r.half.translate, r.half.direct),
    ),
    target(
      'translate peak RSS at saturation',
      `≤ ${RSS_LIMIT_MB} MB`,
      r.translate.peakRssMb,
      (v) => `${v.toFixed(1)} MB`,
      r.translate.peakRssMb <= RSS_LIMIT_MB,
      ok(r.translate),
    ),
  ];
  if (r.claim.available) {
    const c = r.claim;
    t.push(
      target(
        'T2 claim peak RSS at saturation',
        `≤ ${RSS_LIMIT_MB} MB`,
        c.peakRssMb,
        (v) => `${v.toFixed(1)} MB`,
        c.peakRssMb <= RSS_LIMIT_MB,
        ok(c),
      ),
    );
    t.push(
      target(
        'T2 claim ÷ translate throughput',
        `≥ ${GOALS.claimOverTranslate}×`,
        ratios.claimOverTranslate!,
        x2,
        ratios.claimOverTranslate! >= GOALS.claimOverTranslate,
        ok(c, r.translate),
      ),
    );
  } else t.push(missing('T2 claim ÷ translate throughput', `≥ ${GOALS.claimOverTranslate}×`, r.claim));
  if (r.outbox.available) {
    t.push(
      target(
        'outbox deliveries/s',
        '≥ 2000/s',
        r.outbox.rps,
        (v) => `${Math.round(v)}/s`,
        r.outbox.rps >= 2000,
        ok(r.outbox),
      ),
    );
  } else t.push(missing('outbox deliveries/s', '≥ 2000/s', r.outbox));
  t.push(pgScaleTarget(r, ratios.claimPgTwoOverOne));
  return t;
}

function pgScaleTarget(r: Pick<Results, 'claimPg1' | 'claimPg2'>, ratio: number | null): Target {
  const name = 'T2 claim on PostgreSQL, two instances ÷ one';
  if (!r.claimPg1.available) return missing(name, '≥ 1.5×', r.claimPg1);
  if (!r.claimPg2.available) return missing(name, '≥ 1.5×', r.claimPg2);
  return target(name, '≥ 1.5×', ratio!, x2, ratio! >= 1.5, ok(r.claimPg1, r.claimPg2));
}

function pgRatio(r: Partial<Record<ScenarioName, ScenarioResult>>): number | null {
  return r.claimPg1?.available && r.claimPg2?.available ? r.claimPg2.rps / r.claimPg1.rps : null;
}

/** When, where and how a run measured: the head of every report, full or partial. */
function runHeader(o: BenchOptions, loadAvg1m: number) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), loadAvg1m },
    pinning: o.pin,
    options: { warmupS: o.warmupS, durationS: o.durationS, pacedS: o.pacedS, connections: o.connections },
  };
}
export function summarize(r: Results, o: BenchOptions, loadAvg1m: number): BenchReport {
  const ratios = {
    translateOverExpress: r.translate.rps / r.expressProxy.rps,
    translateCpuOverBare: r.translate.cpuUsPerRequest / r.bareProxy.cpuUsPerRequest,
    claimOverTranslate: r.claim.available ? r.claim.rps / r.translate.rps : null,
    claimPgTwoOverOne: pgRatio(r),
  };
  const addedP99Ms = r.half.translate.p99Ms - r.half.direct.p99Ms;
  const all = [
    r.direct,
    r.bareProxy,
    r.expressProxy,
    r.translate,
    r.claim,
    r.outbox,
    r.claimPg1,
    r.claimPg2,
    r.outboxPg,
    r.half.direct,
    r.half.translate,
  ];
  return {
    ...runHeader(o, loadAvg1m),
    scenarios: {
      direct: r.direct,
      bareProxy: r.bareProxy,
      expressProxy: r.expressProxy,
      translate: r.translate,
      claim: r.claim,
      outbox: r.outbox,
      claimPg1: r.claimPg1,
      claimPg2: r.claimPg2,
      outboxPg: r.outboxPg,
    },
    halfRate: { ...r.half, addedP99Ms },
    ratios,
    targets: targetsOf(r, ratios, addedP99Ms),
    valid: ok(...all),
  };
}

const LABELS: Record<ScenarioName, string> = {
  direct: '1 direct (fake P云 alone)',
  bareProxy: '2 bare node:http proxy',
  expressProxy: '3 express + http-proxy-middleware',
  translate: '4 couponbridge T1 translate',
  claim: '5 couponbridge T2 claim (SQLite)',
  outbox: '6 outbox drain (deliveries)',
  claimPg1: '7 T2 claim (PostgreSQL, 1 instance)',
  claimPg2: '8 T2 claim (PostgreSQL, 2 instances)',
  outboxPg: '9 outbox drain (PostgreSQL)',
};

const HEAD = [
  'scenario (saturating pass)',
  'req/s',
  'p50 ms',
  'p99 ms',
  'CPU µs/req',
  'RSS MB',
  'failed',
  'SUT CPU',
  'LG CPU',
  'preempt/s',
];
const WIDTHS = [36, 7, 7, 7, 10, 7, 6, 8, 7, 9];

function scenarioRows(scenarios: Partial<Record<ScenarioName, ScenarioResult>>): string[] {
  const lines = [
    row(HEAD, WIDTHS),
    row(
      HEAD.map((h) => '-'.repeat(Math.max(h.length, 3))),
      WIDTHS,
    ),
  ];
  for (const [k, label] of Object.entries(LABELS) as Array<[ScenarioName, string]>) {
    const s = scenarios[k];
    if (!s) continue;
    const cells = scenarioCells(label, s);
    lines.push(cells.length === 2 ? `${cells[0].padEnd(WIDTHS[0])}  ${cells[1]}` : row(cells, WIDTHS));
  }
  return lines;
}

/** A run of some scenarios only (`--only`): their rows, the PostgreSQL scale ratio when both ran. */
export interface PartialReport {
  date: string;
  node: string;
  machine: BenchReport['machine'];
  pinning: Pinning;
  options: BenchReport['options'];
  scenarios: Partial<Record<ScenarioName, ScenarioResult>>;
  claimPgTwoOverOne: number | null;
  valid: boolean;
}

export function summarizePartial(
  scenarios: Partial<Record<ScenarioName, ScenarioResult>>,
  o: BenchOptions,
  loadAvg1m: number,
): PartialReport {
  return {
    ...runHeader(o, loadAvg1m),
    scenarios,
    claimPgTwoOverOne: pgRatio(scenarios),
    valid: ok(...Object.values(scenarios)),
  };
}

export function formatPartialReport(b: PartialReport): string {
  const lines = [
    `couponbridge benchmark (selected scenarios) — ${b.date}, node ${b.node}, ${b.machine.cores}× ${b.machine.cpu}, load average ${b.machine.loadAvg1m.toFixed(2)} at start`,
    `pinning: ${b.pinning.enabled ? 'first instance on core 0, a second on core 1 with the load generator' : `off (${b.pinning.reason})`}; ` +
      `${b.options.connections} connections, ${b.options.warmupS} s warm-up + ${b.options.durationS} s measured per scenario`,
    '',
    ...scenarioRows(b.scenarios),
  ];
  if (b.scenarios.claimPg1 && b.scenarios.claimPg2) {
    const t = pgScaleTarget(b.scenarios as Pick<Results, 'claimPg1' | 'claimPg2'>, b.claimPgTwoOverOne);
    lines.push('', `target (issue 15): [${t.status}] ${t.name}: ${t.value} (goal ${t.goal})`);
  }
  const failures = (Object.keys(b.scenarios) as ScenarioName[]).flatMap((k) =>
    failureLines(LABELS[k], b.scenarios[k]!),
  );
  if (failures.length > 0) lines.push('', ...failures, '!!! RUN INVALID: some answers failed');
  return lines.join('\n');
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

function scenarioCells(label: string, s: ScenarioResult): string[] {
  if (!s.available) return [label, s.reason];
  const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
  return [
    label,
    Math.round(s.rps).toString(),
    ms(s.p50Ms),
    ms(s.p99Ms),
    s.cpuUsPerRequest.toFixed(1),
    s.peakRssMb.toFixed(1),
    s.failed.toString(),
    `${Math.round(s.sutCpuPct)}%`,
    `${Math.round(s.loadgenCpuPct)}%`,
    Math.round(s.preemptionsPerS).toString(),
  ];
}

function failureLines(name: string, s: ScenarioResult | PacedResult): string[] {
  if ('error' in s && s.error) return [`!!! ${name}: ${s.reason}`];
  if (!('failed' in s) || s.failed === 0) return [];
  return [
    `!!! ${name}: ${s.failed} FAILED ANSWERS — these numbers measure errors`,
    ...s.failureSamples.map((x) => `      ${x}`),
  ];
}

export function formatReport(b: BenchReport): string {
  const lines = [
    `couponbridge benchmark — ${b.date}, node ${b.node}, ${b.machine.cores}× ${b.machine.cpu}, load average ${b.machine.loadAvg1m.toFixed(2)} at start`,
    ...(b.machine.loadAvg1m > BUSY_LOAD
      ? [
          '!!! other programs were using the CPU at start: throughput and latency are unreliable (CPU µs/req less so)',
        ]
      : []),
    `pinning: ${b.pinning.enabled ? 'process under test on core 0, load generator + upstream-behind-proxy on core 1' : `off (${b.pinning.reason})`}; ` +
      `${b.options.connections} connections, ${b.options.warmupS} s warm-up + ${b.options.durationS} s measured per scenario`,
    '',
    ...scenarioRows(b.scenarios),
  ];
  const h = b.halfRate;
  lines.push(
    '',
    `paced at ${h.translate.rate} req/s (½ of translate max), ${b.options.pacedS} s: ` +
      `p50/p99 direct ${h.direct.p50Ms.toFixed(2)}/${h.direct.p99Ms.toFixed(2)} ms, ` +
      `translate ${h.translate.p50Ms.toFixed(2)}/${h.translate.p99Ms.toFixed(2)} ms → p99 added ${h.addedP99Ms.toFixed(2)} ms ` +
      `(preemptions/s: direct ${Math.round(h.direct.preemptionsPerS)}, translate ${Math.round(h.translate.preemptionsPerS)})`,
    '',
    `ratios: translate ÷ express throughput ${x2(b.ratios.translateOverExpress)}, ` +
      `translate ÷ bare CPU/req ${x2(b.ratios.translateCpuOverBare)}, ` +
      `T2 ÷ translate ${b.ratios.claimOverTranslate === null ? 'n/a' : x2(b.ratios.claimOverTranslate)}, ` +
      `T2 on PostgreSQL two ÷ one instance ${b.ratios.claimPgTwoOverOne === null ? 'n/a' : x2(b.ratios.claimPgTwoOverOne)}`,
    '',
    'targets (issues 18 and 15):',
    ...b.targets.map((t) => `  [${t.status}] ${t.name}: ${t.value} (goal ${t.goal})`),
  );
  const failures = [
    ...(Object.keys(LABELS) as ScenarioName[]).flatMap((k) => failureLines(LABELS[k], b.scenarios[k])),
    ...failureLines('paced direct', h.direct),
    ...failureLines('paced translate', h.translate),
  ];
  if (failures.length > 0) lines.push('', ...failures, '!!! RUN INVALID: some answers failed');
  for (const k of ['translate', 'claim'] as const) {
    const s = b.scenarios[k];
    if (s.available && s.signedLate)
      lines.push(`note: ${s.signedLate} ${k} messages were signed during a pass (load-generator CPU)`);
  }
  return lines.join('\n');
}
