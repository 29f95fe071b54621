/**
 * The `server.workers` row (issue 18): T1 translate throughput with two workers ÷ with one, both
 * unpinned, the goal (≥ 1.6×) meant for a machine where two cores are free besides the load
 * generator's — the core count is printed with it.
 */
import type { Measured, PacedResult, WorkersResult, WritesResult } from './scenarios';

export const WORKERS_GOAL = 1.6;

export function workersRatio(w: WorkersResult): number | null {
  return w.one.available && w.two.available ? w.two.rps / w.one.rps : null;
}

export function workersValid(w: WorkersResult): boolean {
  return [w.one, w.two].every((s) => (s.available ? s.failed === 0 : !s.error));
}

export function formatWorkers(w: WorkersResult): string {
  const row = (name: string, s: WorkersResult['one']) =>
    s.available
      ? `${name}: ${Math.round(s.rps)} req/s, p99 ${s.p99Ms.toFixed(1)} ms, ${Math.round(s.cpuUsPerRequest)} CPU µs/req, ` +
        `RSS ${s.peakRssMb.toFixed(0)} MB (all processes), ${s.failed} failed`
      : `${name}: ${s.reason}`;
  const ratio = workersRatio(w);
  const status = ratio === null || !workersValid(w) ? 'invalid' : ratio >= WORKERS_GOAL ? 'met' : 'not met';
  return [
    `server.workers on T1 translate (${w.cores} cores, the load generator on one of them; not pinned)`,
    row('  1 worker ', w.one),
    row('  2 workers', w.two),
    `  2 workers ÷ 1 worker throughput: ${ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`} (goal ≥ ${WORKERS_GOAL}× with two free cores): ${status}`,
  ].join('\n');
}

export function writesValid(w: WritesResult): boolean {
  const runs = [w.onLoop, w.offLoop];
  return runs.every((r) => r.max.failed === 0 && (r.half?.failed ?? 0) === 0);
}

/** The write thread's row: T1 with journal and nonce commits on the event loop, then off it. */
export function formatWrites(w: WritesResult): string {
  const row = (name: string, r: { max: Measured; half?: PacedResult }) =>
    `${name}: ${Math.round(r.max.rps)} req/s, ${Math.round(r.max.cpuUsPerRequest)} CPU µs/req, ` +
    `RSS ${r.max.peakRssMb.toFixed(0)} MB; paced at ${r.half?.rate ?? '–'} req/s: p50/p99 ` +
    `${r.half?.p50Ms.toFixed(2) ?? '–'}/${r.half?.p99Ms.toFixed(2) ?? '–'} ms`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const on = w.onLoop;
  const off = w.offLoop;
  return [
    'journal and nonce commits on the event loop vs on the write thread (T1 translate)',
    row('  on the loop    ', on),
    row('  write thread   ', off),
    `  thread ÷ loop: throughput ${ratio(off.max.rps, on.max.rps)}, CPU/req ${ratio(
      off.max.cpuUsPerRequest,
      on.max.cpuUsPerRequest,
    )}` +
      (on.half && off.half ? `, paced p99 ${ratio(off.half.p99Ms, on.half.p99Ms)}` : '') +
      (writesValid(w) ? '' : ' — INVALID: failed answers'),
  ].join('\n');
}
