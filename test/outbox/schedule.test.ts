import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load';
import { nextAttemptAt, retryDelayMs } from '../../src/outbox/schedule';

const defaults = parseConfig(
  'upstreams: { pyun: { base_url: "http://p", app_id: a, app_secret: s-0123456789abcdef } }',
  'x.yaml',
  {},
).outbox;
const policy = { retry_schedule_ms: [1000, 2000, 5000], jitter: 0.2 };

describe('retry schedule', () => {
  test('with the shipped defaults the first retry comes within about a second and early retries stay short', () => {
    for (const r of [0, 0.5, 0.999]) {
      const first = retryDelayMs(1, defaults, () => r)!;
      assert.ok(first >= 800 && first <= 1200, `first retry after ${first} ms`);
    }
    assert.ok(defaults.retry_schedule_ms.slice(0, 3).every((ms) => ms <= 5000));
  });

  test('attempt n waits schedule[n-1] ± jitter, bounds included', () => {
    assert.equal(
      retryDelayMs(1, policy, () => 0),
      800,
    );
    assert.equal(
      retryDelayMs(1, policy, () => 0.5),
      1000,
    );
    assert.equal(
      retryDelayMs(2, policy, () => 0),
      1600,
    );
    assert.equal(
      retryDelayMs(3, policy, () => 0.9999999),
      6000,
    );
  });

  test('random draws stay inside the jitter band', () => {
    for (let i = 0; i < 1000; i++) {
      const ms = retryDelayMs(2, policy)!;
      assert.ok(ms >= 1600 && ms <= 2400, String(ms));
    }
  });

  test('no jitter gives the schedule exactly', () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => retryDelayMs(n, { retry_schedule_ms: [50, 100, 200], jitter: 0 })),
      [50, 100, 200],
    );
  });

  test('after the last entry there is no attempt left (dead)', () => {
    assert.equal(retryDelayMs(4, policy), null);
    assert.equal(nextAttemptAt(new Date(0), 4, policy), null);
  });

  test('nextAttemptAt adds the delay to now', () => {
    assert.equal(nextAttemptAt(new Date(10_000), 1, policy, () => 0.5)?.getTime(), 11_000);
  });

  test('refuses an attempt number below 1', () => {
    assert.throws(() => retryDelayMs(0, policy), /positive integer/);
  });
});
