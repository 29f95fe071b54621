/**
 * The `server.workers` row (issue 18): T1 translate throughput with two workers ÷ with one, both
 * unpinned, the goal (≥ 1.6×) meant for a machine where two cores are free besides the load
 * generator's — the core count is printed with it.
 */
import type { WorkersResult } from './scenarios';

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
