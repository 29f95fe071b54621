/**
 * Retry timing, in one place. A claim counts as an attempt (store/types.ts), so when attempt n
 * fails the next one waits `retry_schedule_ms[n-1]` ± `jitter` (a fraction: 0.2 = ±20 %, uniform),
 * and a failure of attempt `schedule.length + 1` makes the item dead. With the defaults the first
 * retry comes 0.8–1.2 s after the first failure and the early ones stay short (2 s, 5 s, 15 s);
 * jitter keeps many instances from retrying in lockstep. `outbox replay` restarts at attempt 0.
 */
import type { OutboxConfig } from '../config/types';

export type RetryPolicy = Pick<OutboxConfig, 'retry_schedule_ms' | 'jitter'>;

/** Delay before the attempt after failed attempt `attempt` (1-based), or null: no attempt left. */
export function retryDelayMs(
  attempt: number,
  p: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new Error(`attempt must be a positive integer, got ${attempt}`);
  const base = p.retry_schedule_ms[attempt - 1];
  if (base === undefined) return null;
  const spread = base * p.jitter;
  return Math.max(0, Math.round(base - spread + 2 * spread * random()));
}

/** When to try again after failed attempt `attempt`, or null: the item is dead. */
export function nextAttemptAt(
  now: Date,
  attempt: number,
  p: RetryPolicy,
  random: () => number = Math.random,
): Date | null {
  const delay = retryDelayMs(attempt, p, random);
  return delay === null ? null : new Date(now.getTime() + delay);
}
