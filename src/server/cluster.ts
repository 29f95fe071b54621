/**
 * `server.workers: N` (issue 18): N couponbridge processes sharing the listening port through
 * node:cluster (the primary accepts and hands connections round-robin) and sharing the store — the
 * SQLite file in WAL mode (BEGIN IMMEDIATE serialises writers across processes) or PostgreSQL.
 *
 * The primary serves nothing itself: it forks the workers (each runs startServer with its slot
 * number 1..N in COUPONBRIDGE_WORKER_SLOT), replaces one that dies unexpectedly after a backoff
 * (0.5 s doubling to 30 s while replacements keep dying within 30 s of their start; one error log
 * line each), forwards SIGHUP (credential reload), and on SIGTERM / SIGINT sends SIGTERM to every
 * worker — each stops accepting, finishes its exchanges in flight and exits 0 (process-policy.ts)
 * — then exits 0 once all have. If a worker exits before it ever listened while the cluster is
 * starting (a bad mapping, a store it cannot open), the start fails as a single process's would.
 *
 * What must not run N times: maintenance (purging nonces, journal rows, idempotency records) runs
 * in slot 1 only (start.ts). The outbox worker runs in every slot: its claim is safe under
 * concurrency on both stores (one BEGIN IMMEDIATE statement on SQLite, FOR UPDATE SKIP LOCKED on
 * PostgreSQL) and each slot leases under its own id (host:port#slot), so a replacement releases
 * the leases of the worker it replaces and never those of a live one.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'winston';

export const WORKER_SLOT_ENV = 'COUPONBRIDGE_WORKER_SLOT';

/** `server.workers` as a process count: `auto` is the number of cores node may use. */
export function workerCount(setting: number | 'auto' | undefined): number {
  if (setting === 'auto') return availableParallelism();
  return Math.max(1, Math.trunc(setting ?? 1));
}

/** This process's slot (1..N) when it is a cluster worker; undefined otherwise. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** A worker that lived this long resets the backoff of its slot. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000, stableMs: 30_000 };

/** Delay before replacing a worker that died, given how many died quickly in a row before it. */
export function restartDelayMs(quickDeaths: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, quickDeaths));
}

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** server.shutdown_grace_ms: a worker still running well after it is SIGKILLed. */
  graceMs: number;
  backoff?: Backoff;
}

export interface ClusterPrimary {
  /** Settles once every worker listens; rejects when one exited before it ever did. */
  ready: Promise<void>;
  /** Live workers: slot → pid. */
  workers(): Map<number, number>;
  /** The port the workers share (the one picked when server.port is 0), once one listens. */
  port(): number | undefined;
  /** Drains every worker (SIGTERM) and resolves with the exit code for the primary. */
  stop(): Promise<number>;
}

interface Slot {
  n: number;
  worker?: Worker;
  startedAt: number;
  listened: boolean;
  quickDeaths: number;
  timer?: NodeJS.Timeout;
}

export function startCluster(o: ClusterOptions): ClusterPrimary {
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const log = o.logger;
  const slots: Slot[] = Array.from({ length: o.workers }, (_, i) => ({
    n: i + 1,
    startedAt: 0,
    listened: false,
    quickDeaths: 0,
  }));
  let stopping: Promise<number> | undefined;
  let starting = true;
  let failedCodes = 0;
  let settle!: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const exits = new Set<Promise<void>>();
  let port: number | undefined;

  const fork = (s: Slot): void => {
    s.timer = undefined;
    s.listened = false;
    s.startedAt = Date.now();
    const w = cluster.fork({ [WORKER_SLOT_ENV]: String(s.n) });
    s.worker = w;
    let exited!: () => void;
    const done = new Promise<void>((r) => (exited = r));
    exits.add(done);
    w.once('listening', (address) => {
      port ??= address.port;
      s.listened = true;
      log.info('worker listening', { worker: s.n, pid: w.process.pid });
      if (starting && slots.every((x) => x.listened)) {
        starting = false;
        settle.resolve();
      }
    });
    w.once('exit', (code, signal) => {
      exits.delete(done);
      exited();
      if (s.worker === w) s.worker = undefined;
      if (stopping) {
        if (code !== 0) failedCodes++;
        log.info('worker stopped', { worker: s.n, pid: w.process.pid, code, signal });
        return;
      }
      if (starting && !s.listened) {
        starting = false;
        log.error('worker exited before it listened: stopping', { worker: s.n, code, signal });
        settle.reject(new Error(`worker ${s.n} exited (${signal ?? code}) before it listened`));
        return;
      }
      const lived = Date.now() - s.startedAt;
      s.quickDeaths = lived < backoff.stableMs ? s.quickDeaths + 1 : 0;
      const delay = restartDelayMs(s.quickDeaths - 1, backoff);
      log.error('worker died unexpectedly: replacing it', {
        worker: s.n,
        pid: w.process.pid,
        code,
        signal,
        lived_ms: lived,
        restart_in_ms: delay,
      });
      s.timer = setTimeout(() => fork(s), delay);
    });
  };

  for (const s of slots) fork(s);

  const stop = (): Promise<number> =>
    (stopping ??= (async () => {
      for (const s of slots) clearTimeout(s.timer);
      const live = slots.flatMap((s) => (s.worker ? [s.worker] : []));
      for (const w of live) w.process.kill('SIGTERM');
      // process-policy.ts gives a worker grace × 2 + 5 s before it exits by itself: past that, kill.
      const kill = setTimeout(
        () => {
          for (const w of live) if (!w.isDead()) w.process.kill('SIGKILL');
        },
        o.graceMs * 2 + 10_000,
      );
      await Promise.all([...exits]);
      clearTimeout(kill);
      return failedCodes === 0 ? 0 : 1;
    })());

  return {
    ready,
    workers: () =>
      new Map(slots.flatMap((s) => (s.worker?.process.pid ? [[s.n, s.worker.process.pid] as const] : []))),
    port: () => port,
    stop,
  };
}

/**
 * The primary of `couponbridge serve` with workers: starts them, then drains them on SIGTERM /
 * SIGINT and exits 0, forwards SIGHUP. Exits 1 when the cluster cannot start.
 */
export async function runPrimary(o: ClusterOptions): Promise<ClusterPrimary> {
  const primary = startCluster(o);
  let ending = false;
  const end = (signal: string) => {
    if (ending) return;
    ending = true;
    o.logger.info('stopping workers', { signal });
    void primary.stop().then((code) => process.exit(code));
  };
  // `on`, not `once`: a supervisor that signals the whole group (systemd's control-group kill,
  // Ctrl-C) must not kill the primary with a second signal while its workers drain
  process.on('SIGTERM', () => end('SIGTERM'));
  process.on('SIGINT', () => end('SIGINT'));
  process.on('SIGHUP', () => {
    for (const pid of primary.workers().values()) process.kill(pid, 'SIGHUP');
  });
  try {
    await primary.ready;
  } catch (e) {
    await primary.stop();
    throw e;
  }
  o.logger.info('couponbridge workers listening', {
    workers: o.workers,
    pids: [...primary.workers().values()],
  });
  return primary;
}
