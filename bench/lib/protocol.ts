/** The messages the load generator and a process under test exchange over the IPC channel. */

export type Role = 'upstream' | 'bare-proxy' | 'express-proxy' | 'couponbridge' | 'outbox';

export interface RoleArgs {
  /** Where the proxies and couponbridge forward to. */
  upstreamUrl?: string;
  /** couponbridge's own directory: its SQLite ledger and mappings, fresh per child. */
  workDir?: string;
  /** Outbox rows to enqueue before the worker starts. */
  count?: number;
  /** A store URL (PostgreSQL scenarios) instead of a fresh SQLite file in workDir. */
  store?: string;
  /** couponbridge's server.workers (cluster processes); default 1. */
  workers?: number;
  /** false: journal and nonce commits on the event loop, as before the write thread (default: on it). */
  offLoopWrites?: boolean;
}

export interface ProcessStats {
  /** User + system CPU time of the whole process so far, microseconds. */
  cpuUs: number;
  /** Peak resident set size over the process's life (start-up included), bytes. */
  maxRssBytes: number;
  /** Involuntary context switches so far: times another program took the core. */
  preemptions: number;
  /** Peak resident set size since the last `window` (sampled every 50 ms), bytes. */
  windowPeakRssBytes: number;
  /** Deliveries and failed attempts so far (outbox role; 0 for the others). */
  workDone: number;
  workFailed: number;
  workFailureSamples: string[];
}

/**
 * `window` starts a new RSS window (the measured pass); `profile-start` / `profile-stop` run the
 * V8 CPU profiler over exactly the measured pass and write the profile to `file`.
 * Every message is answered: `stats` with stats, the others with `done`.
 */
export type ToChild =
  | { type: 'stats' }
  | { type: 'window' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string }
  | { type: 'stop' };

export type FromChild =
  | { type: 'ready'; url: string; routes: string[] }
  | ({ type: 'stats' } & ProcessStats)
  | { type: 'done' }
  | { type: 'failed'; error: string };
