/**
 * The benchmark harness works: every scenario runs for about a second under a tiny load, every
 * answer is a success, and the figures it reports are positive. No timing is asserted — speed is
 * measured by `npm run bench`, never by tests.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignedBodies } from '../../bench/lib/bodies';
import { formatStages, measureStages, type StageTable } from '../../bench/lib/stages';
import { formatWorkers, formatWrites } from '../../bench/lib/workers-report';
import {
  claim,
  direct,
  directPaced,
  onPostgres,
  outbox,
  proxied,
  translate,
  workersT1,
  writesT1,
  type BenchOptions,
  type Measured,
  type PacedResult,
  type ScenarioResult,
} from '../../bench/lib/scenarios';

const o: BenchOptions = {
  pin: { enabled: false, reason: 'test' },
  warmupS: 0.5,
  durationS: 1,
  pacedS: 1,
  connections: 2,
  expectRps: 500,
};

function assertRan(s: ScenarioResult): asserts s is Measured {
  assert.ok(s.available, `the scenario ran${s.available ? '' : `: ${s.reason}`}`);
  assert.equal(s.failed, 0, `no failures: ${s.failureSamples.join(' | ')}`);
  assert.ok(s.requests > 0 && s.rps > 0, 'work was done');
  assert.ok(s.cpuUsPerRequest > 0, 'CPU per request');
  assert.ok(s.peakRssMb > 0 && s.lifetimePeakRssMb >= s.peakRssMb, 'RSS');
}

function assertMeasured(s: ScenarioResult): void {
  assertRan(s);
  assert.ok(s.p50Ms > 0 && s.p99Ms >= s.p50Ms, 'latency percentiles');
}

function assertPaced(p: PacedResult, rate: number): void {
  assert.equal(p.failed, 0, `no failed answers: ${p.failureSamples.join(' | ')}`);
  assert.equal(p.rate, rate);
  assert.equal(p.requests, Math.round(rate * o.pacedS));
  assert.ok(p.p50Ms > 0 && p.p99Ms >= p.p50Ms);
}

describe('benchmark harness', () => {
  test('measures the fake P云 alone and at a fixed rate', async () => {
    assertMeasured(await direct(o));
    assertPaced(await directPaced(o, 50), 50);
  });

  test('measures the bare node:http proxy', async () => {
    assertMeasured(await proxied('bare-proxy', o));
  });

  test('measures express + http-proxy-middleware', async () => {
    assertMeasured(await proxied('express-proxy', o));
  });

  test('measures T1 translate with distinct signed messages, then paced at half its rate', async () => {
    const { max, half } = await translate(o, new SignedBodies('t1'), true);
    assertMeasured(max);
    assert.ok(half, 'the paced pass ran');
    assertPaced(half, Math.max(1, Math.floor(max.rps / 2)));
  });

  test('measures T2 claim with the SQLite ledger', async () => {
    assertMeasured(await claim(o, new SignedBodies('t2')));
  });

  test('measures the outbox draining notifications to a fake partner', async () => {
    assertRan(await outbox(o));
  });

  test('measures T2 claim with two instances on one PostgreSQL schema, and the outbox on PostgreSQL', async (t) => {
    const claimed = await onPostgres(o, (store) => claim(o, new SignedBodies('t2'), store, 2));
    if (!claimed.available && process.env.CI !== 'true' && /unreachable/.test(claimed.reason)) {
      return t.skip(claimed.reason);
    }
    assertMeasured(claimed);
    assertRan(await onPostgres(o, (store) => outbox(o, store)));
  });

  test('measures T1 with journal and nonce commits on the event loop, then on the write thread', async () => {
    const w = await writesT1(o, new SignedBodies('t1'));
    for (const r of [w.onLoop, w.offLoop]) {
      assertMeasured(r.max);
      assert.ok(r.half, 'the paced pass ran');
      assertPaced(r.half, Math.max(1, Math.floor(r.max.rps / 2)));
    }
    assert.match(
      formatWrites(w),
      /thread ÷ loop: throughput \d+\.\d\d×, CPU\/req \d+\.\d\d×, paced p99 \d+\.\d\d×$/,
    );
  });

  test('measures T1 with server.workers 1 and 2, the second over a cluster of processes', async () => {
    const w = await workersT1(o, new SignedBodies('t1'));
    assertMeasured(w.one);
    assertMeasured(w.two);
    assertRan(w.one);
    assertRan(w.two);
    assert.ok(w.cores >= 1);
    // the primary and two workers, each a whole couponbridge: more memory than one process
    assert.ok(w.two.peakRssMb > w.one.peakRssMb, `${w.two.peakRssMb} MB > ${w.one.peakRssMb} MB`);
    assert.match(formatWorkers(w), /2 workers ÷ 1 worker throughput: \d+\.\d\d×/);
  });

  const summed0 = (t: StageTable) => t.rows.filter((r) => !r.within).reduce((n, r) => n + r.bytes, 0);

  test('prints the per-stage cost table: every stage of T1 measured, the sum of the summed rows', async () => {
    const t = await measureStages(o.pin, { batch: 40, rounds: 1 });
    assert.deepEqual(
      t.rows.map((r) => r.stage),
      [
        'parse',
        'identify + verify (MD5)',
        'replay check (nonce stored, group commit)',
        'validate inbound',
        'ledger lookup (store read)',
        'map (context, branch, fields)',
        'sign + encode (form, MD5)',
        'validate outbound',
        'undici call (client CPU)',
        'answer parse (JSON, code)',
        'validate upstream answer',
        'map back + answer envelope',
        'validate answer',
        'journal record (build + redact)',
        'journal write (SQLite, batched)',
        'metrics + log',
      ],
    );
    for (const r of t.rows) {
      assert.ok(Number.isFinite(r.us) && r.us >= 0, `${r.stage}: ${r.us}`);
      assert.ok(Number.isFinite(r.loopUs) && r.loopUs >= 0, `${r.stage}: loop ${r.loopUs}`);
      assert.ok(r.budgetUs > 0, `${r.stage} has a budget`);
      assert.ok(Number.isFinite(r.bytes) && r.bytes >= 0, `${r.stage}: ${r.bytes} bytes`);
    }
    // every exchange allocates: its request, its outbound message, its journal record
    assert.ok(t.bytesTotal > 1000, `${t.bytesTotal} bytes allocated per request`);
    assert.ok(Math.abs(t.bytesTotal - summed0(t)) < 1e-6);
    // CPU time has a coarse clock: the slow stages at least must register
    assert.ok(t.rows.find((r) => r.stage === 'undici call (client CPU)')!.us > 0);
    const summed = t.rows.filter((r) => !r.within);
    assert.equal(summed.length, t.rows.length - 1, 'only "validate answer" is within another row');
    assert.ok(Math.abs(t.totalUs - summed.reduce((n, r) => n + r.us, 0)) < 1e-6);
    const table = formatStages(t, t.totalUs + 10);
    assert.match(table, /^Per-stage cost, T1 translate/);
    assert.match(table, / {2}of which validate answer/);
    assert.match(table, /rest: node:http, event loop, GC +10\.0/);
    assert.match(table, /sum of stages +\d+\.\d +\d+\.\d +\d+\.\d/);
    assert.match(table, /bytes allocated per request \(sum of alloc\): \d+ B, budget \d+ B/);
  });
});
