/**
 * Progress for long CLI work (`replay`, `ledger export`, `outbox replay --all-dead`): a bar on
 * stderr while stdout is a terminal, nothing when the output is piped or redirected (so a CSV or
 * a difference list stays clean and scripts see no control characters). Summaries are printed
 * by the commands themselves, always.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** Starts (or restarts) with a known total; 0 when the total is not known up front. */
  start(total: number): void;
  tick(n?: number): void;
  stop(): void;
}

const silent: Progress = { start() {}, tick() {}, stop() {} };

/** `total: 'unknown'` counts without a bar (e.g. an export read page by page). */
export function progress(label: string, o: { total?: 'unknown'; out?: { isTTY?: boolean } } = {}): Progress {
  if (!(o.out ?? process.stdout).isTTY || !process.stderr.isTTY) return silent;
  const bar = new SingleBar(
    {
      format:
        o.total === 'unknown'
          ? `${label} {value} rows`
          : `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  let running = false;
  return {
    start(total) {
      if (running) bar.setTotal(total);
      else bar.start(total, 0);
      running = true;
    },
    tick(n = 1) {
      if (running) bar.increment(n);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
