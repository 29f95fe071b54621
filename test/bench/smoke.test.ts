/**
 * The benchmark harness works: every scenario runs for about a second under a tiny load, every
 * answer is a success, and the figures it reports are positive. No timing is asserted — speed is
 * measured by `npm run bench`, never by tests.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignedBodies } from '../../bench/lib/bodies';
import {
  claim,
  direct,
  directPaced,
  onPostgres,
  outbox,
  proxied,
  translate,
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
});
