/**
 * CPU pinning with taskset (util-linux): the process under test runs on core 0, the load
 * generator (this process, and the fake upstream behind a proxy) on core 1. Without taskset or
 * with fewer than two cores nothing is pinned and the report says so.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  enabled: boolean;
  /** Why pinning is off, when it is. */
  reason?: string;
}

export const SUT_CORE = 0;
export const LOADGEN_CORE = 1;

function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Pins every thread of this process to the load-generator core; reports whether it could. */
export function pinLoadGenerator(): Pinning {
  if (availableParallelism() < 2) return { enabled: false, reason: 'fewer than 2 cores' };
  if (!hasTaskset()) return { enabled: false, reason: 'taskset not found' };
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(LOADGEN_CORE), String(process.pid)], {
    stdio: 'ignore',
  });
  return r.status === 0 ? { enabled: true } : { enabled: false, reason: `taskset exited ${r.status}` };
}

/** The command line that runs `argv` on `core` when pinning is enabled. */
export function onCore(pin: Pinning, core: number, argv: string[]): string[] {
  return pin.enabled ? ['taskset', '-c', String(core), ...argv] : argv;
}
