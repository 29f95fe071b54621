/**
 * The outbox worker: claims due rows (`store.claimDue`) and delivers them (deliver.ts), recording
 * each outcome — delivered, back to pending at the next time of the retry schedule (schedule.ts),
 * or dead (no attempt left, or a terminal answer) — and journaling each attempt (`couponbridge
 * trace <dedup key | coupon_id | orderId | outbox:<id>>`).
 *
 * - Polling: at once on start (so due rows resume within one poll after a restart), then every
 *   `poll_interval_ms`, at once on `wake()` (a producer calls it after storing notifications, so the
 *   first delivery does not wait for the poll) and when deliveries free slots (one claim per
 *   2 ms at most: each claim scans the due rows, so a claim per finished delivery would make a
 *   large backlog drain quadratically).
 * - Concurrency: at most `maxInFlight` deliveries by this worker; per destination at most
 *   `concurrency_per_destination` leases across every worker and instance (the store's claim counts
 *   unexpired leases). One keep-alive client per destination (destination.ts).
 * - Leases: a claim leases a row for `lease_ms`; each call's timeout is capped below it so a live
 *   worker never loses its claim. A crashed worker's rows are claimable again once the lease
 *   passed. Faster for a restart: with a stable `workerId` (hostWorkerId: host + listening port,
 *   which no two live processes share once the port is bound) the worker first releases the leases
 *   still held under its own id — rows its previous incarnation died delivering — so they are
 *   retried at once. A unique id per process (the default) releases nothing.
 * - Delivery is at least once: a crash between the partner's answer and `markDelivered` sends the
 *   row again, with the same partner-side dedup key (seq_id / orderId), so the partner de-duplicates.
 * - Store faults: a claim that fails because the store cannot serve (CB_STORE_UNAVAILABLE) pauses
 *   the worker — one log line, `paused` true — and claims are retried with backoff (the poll
 *   interval doubling up to 5 s), or at once when the store guard reports the database back. The
 *   first claim that works resumes it (one log line). Rows are never lost meanwhile: they stay in
 *   the store, and an outcome that could not be stored leaves the row leased until its lease ends.
 * - `stop(graceMs)`: claims nothing more, waits for the deliveries in flight up to graceMs, then
 *   abandons the rest without touching the store again (their leases expire and they are retried),
 *   and closes the partner clients. Call it before the store and the upstream clients close.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { OutboxConfig } from '../config/types';
import { redact } from '../log';
import { writeJournal } from '../ledger/journal';
import type { ExchangeRecord, OutboxItem } from '../store/types';
import type { Runtime } from '../runtime';
import { isCbError } from '../errors';
import type { GuardedStore } from '../store/guard';
import { Destinations } from './destination';
import { deliver, type AttemptRecord, type DeliveryOutcome } from './deliver';
import { kindKey } from './kinds';
import { nextAttemptAt } from './schedule';

export interface DeliveryEvent {
  id: string;
  kind: string;
  v: number;
  destination: string;
  attempt: number;
  outcome: 'delivered' | 'retry' | 'dead';
  error?: string;
  ms: number;
}

export interface OutboxWorkerOptions {
  /** Stable id (hostWorkerId) to release this worker's own stale leases at start; default unique per process. */
  workerId?: string;
  /** Release leases held under workerId before the first claim. Default: true when workerId is given. */
  releaseOwnLeases?: boolean;
  /** Deliveries in flight at once, all destinations together. Default 64. */
  maxInFlight?: number;
  /** false: no timer; deliveries happen on wake() and drainOnce() only (tests). Default true. */
  poll?: boolean;
  /** Overrides of the `outbox:` configuration. */
  outbox?: Partial<OutboxConfig>;
  /** Jitter source, [0, 1). */
  random?: () => number;
  /** Called after each attempt's outcome is stored (metrics: counters by kind and outcome). */
  onDelivery?: (e: DeliveryEvent) => void;
}

export interface OutboxWorker {
  readonly id: string;
  /** True while claims fail because the store cannot serve; the worker resumes by itself. */
  readonly paused: boolean;
  /** Stops claiming, lets deliveries in flight finish up to graceMs, abandons the rest, closes clients. */
  stop(graceMs: number): Promise<void>;
  /** Claims and delivers due rows now (coalesced with a claim already running). */
  wake(): void;
  /** One claim round, its deliveries awaited; returns how many rows were attempted. */
  drainOnce(): Promise<number>;
}

/** A worker id no two live processes share: this host and the port it listens on. */
export function hostWorkerId(port: number): string {
  return `${hostname()}:${port}`;
}

const REFILL_MS = 2;
const MAX_PAUSE_BACKOFF_MS = 5000;
const KEY_FIELDS = ['coupon_id', 'orderId', 'stock_id', 'grant_serial', 'couponCode', 'user_code'];

function businessKeys(item: OutboxItem): string[] {
  const p = (item.payload ?? {}) as Record<string, unknown>;
  const values = KEY_FIELDS.map((k) => p[k]).filter((v): v is string => typeof v === 'string' && v !== '');
  return [...new Set([item.dedupKey, `outbox:${item.id}`, ...values])];
}

function journalRecord(
  rt: Runtime,
  item: OutboxItem,
  r: AttemptRecord,
  at: Date,
  ms: number,
): ExchangeRecord {
  const data = {
    inbound: {
      outbox: item.id,
      kind: kindKey(item.kind, item.v),
      destination: item.destination,
      dedup_key: item.dedupKey,
      attempt: item.attempts,
      payload: item.payload,
    },
    outbound: r.request,
    upstream: r.answer,
    notes: [r.outcome.result === 'delivered' ? r.outcome.summary : `${r.outcome.result}: ${r.outcome.error}`],
  };
  return {
    id: `o${at.getTime().toString(36)}${randomBytes(5).toString('hex')}`,
    at,
    route: `outbox/${kindKey(item.kind, item.v)}`,
    partner: r.destination?.party ?? item.destination,
    businessKeys: businessKeys(item),
    outcome: r.outcome.result,
    durationMs: Math.round(ms * 10) / 10,
    data: redact(data, { secrets: rt.secrets, maskPlates: rt.config.log.mask_plates }),
  };
}

export function startOutboxWorker(rt: Runtime, opts: OutboxWorkerOptions = {}): OutboxWorker {
  const cfg: OutboxConfig = { ...rt.config.outbox, ...opts.outbox };
  const workerId = opts.workerId ?? `${hostname()}:pid${process.pid}:${randomBytes(3).toString('hex')}`;
  const releaseOwn = opts.releaseOwnLeases ?? opts.workerId !== undefined;
  const maxInFlight = opts.maxInFlight ?? 64;
  for (const [name, value] of Object.entries({
    maxInFlight,
    concurrency_per_destination: cfg.concurrency_per_destination,
    poll_interval_ms: cfg.poll_interval_ms,
    lease_ms: cfg.lease_ms,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`startOutboxWorker: ${name} must be a positive integer, got ${value}`);
  }
  const random = opts.random ?? Math.random;
  const destinations = new Destinations(rt, cfg.concurrency_per_destination);
  // A delivery's call must end well inside its lease, or another worker could claim it meanwhile.
  const timeoutCapMs = Math.max(100, Math.floor(cfg.lease_ms * 0.8));
  const inflight = new Set<Promise<void>>();
  let releasing: Promise<void> | undefined = releaseOwn ? undefined : Promise.resolve();
  let stopped = false;
  let abandoned = false;
  let pumping: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let pausedSince: number | undefined;
  let backoffMs = cfg.poll_interval_ms;

  async function releaseOwnLeases(): Promise<void> {
    const now = new Date();
    for (const item of await rt.store.listOutbox({ state: 'leased' })) {
      if (item.leasedBy !== workerId) continue;
      const why = `lease released at the start of ${workerId}: its previous run stopped during attempt ${item.attempts}`;
      await rt.store.markFailed(item.id, why, now, { workerId, now });
      rt.logger.warn('outbox lease released at start', { id: item.id, kind: item.kind, worker: workerId });
    }
  }

  async function record(item: OutboxItem, outcome: DeliveryOutcome): Promise<DeliveryEvent['outcome']> {
    const now = new Date();
    if (outcome.result === 'delivered') {
      await rt.store.markDelivered(item.id, outcome.summary, now);
      return 'delivered';
    }
    const policy = { ...cfg, ...cfg.destinations?.[item.destination] };
    const next = outcome.result === 'retry' ? nextAttemptAt(now, item.attempts, policy, random) : null;
    const error = outcome.result === 'retry' && !next ? `${outcome.error} (no attempt left)` : outcome.error;
    const held = await rt.store.markFailed(item.id, error, next, { workerId, now });
    if (!held)
      rt.logger.warn('outbox row no longer leased by this worker', { id: item.id, worker: workerId });
    return next ? 'retry' : 'dead';
  }

  async function deliverOne(item: OutboxItem): Promise<void> {
    const at = new Date();
    const started = performance.now();
    let r: AttemptRecord;
    try {
      r = await deliver(rt, item, destinations, { now: at, timeoutCapMs });
    } catch (e) {
      r = { outcome: { result: 'retry', error: `internal error: ${(e as Error).message}` } };
    }
    if (abandoned) return;
    const ms = performance.now() - started;
    try {
      const outcome = await record(item, r.outcome);
      const error = r.outcome.result === 'delivered' ? undefined : r.outcome.error;
      const e = {
        id: item.id,
        kind: item.kind,
        v: item.v,
        destination: item.destination,
        attempt: item.attempts,
      };
      opts.onDelivery?.({ ...e, outcome, error, ms });
      if (outcome !== 'delivered') rt.logger.warn(`outbox delivery ${outcome}`, { ...e, error });
      // Journaled like every exchange: batched off the delivery path by the runtime's writer.
      writeJournal(rt, journalRecord(rt, item, r, at, ms));
    } catch (e) {
      // The lease expires and the row is delivered again: at least once, never lost.
      rt.logger.error('outbox outcome not stored', { id: item.id, error: (e as Error).message });
    }
  }

  function track(item: OutboxItem): Promise<void> {
    const p: Promise<void> = deliverOne(item).finally(() => {
      inflight.delete(p);
      if (!stopped && opts.poll !== false) refill();
    });
    inflight.add(p);
    return p;
  }

  async function claim(limit: number): Promise<OutboxItem[]> {
    releasing ??= releaseOwnLeases().catch((e: unknown) => {
      releasing = undefined; // tried again before the next claim
      throw e;
    });
    await releasing;
    return rt.store.claimDue({
      now: new Date(),
      limit,
      leaseMs: cfg.lease_ms,
      workerId,
      perDestinationLimit: cfg.concurrency_per_destination,
    });
  }

  function pause(e: unknown): void {
    const error = (e as Error).message;
    if (pausedSince === undefined) {
      pausedSince = Date.now();
      backoffMs = cfg.poll_interval_ms;
      rt.logger.error('outbox paused: the store cannot serve', { worker: workerId, error });
      // Resume as soon as the store guard sees the database again, not only at the next backoff.
      void (rt.store as Partial<GuardedStore>).whenUp?.().then(() => {
        if (pausedSince !== undefined && !stopped) wake();
      });
    } else backoffMs = Math.min(backoffMs * 2, MAX_PAUSE_BACKOFF_MS);
  }

  function resume(): void {
    if (pausedSince === undefined) return;
    rt.logger.warn('outbox resumed', { worker: workerId, paused_ms: Date.now() - pausedSince });
    pausedSince = undefined;
  }

  /** Claims until the slots are full or nothing is due; false when the store could not serve. */
  async function pumpLoop(): Promise<boolean> {
    try {
      do {
        again = false;
        const room = maxInFlight - inflight.size;
        if (room <= 0) break;
        const items = await claim(room);
        resume();
        for (const item of items) void track(item);
        if (items.length === room) again = true;
      } while (again && !stopped);
      return true;
    } catch (e) {
      if (isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE') pause(e);
      else rt.logger.error('outbox claim failed', { worker: workerId, error: (e as Error).message });
      return false;
    }
  }

  // A claim costs the store a scan of the due rows: slots freed within REFILL_MS share one claim.
  let refillTimer: NodeJS.Timeout | undefined;
  function refill(): void {
    refillTimer ??= setTimeout(() => {
      refillTimer = undefined;
      wake();
    }, REFILL_MS);
  }

  function wake(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    clearTimeout(timer);
    pumping = pumpLoop().then((claimed) => {
      pumping = undefined;
      if (stopped) return;
      if (claimed && again)
        wake(); // woken after the loop's last check
      else if (opts.poll !== false) {
        timer = setTimeout(wake, pausedSince === undefined ? cfg.poll_interval_ms : backoffMs);
        timer.unref();
      }
    });
  }

  async function drainOnce(): Promise<number> {
    if (stopped) return 0;
    const items = await claim(Math.max(1, maxInFlight - inflight.size));
    await Promise.all(items.map(track));
    return items.length;
  }

  async function stop(graceMs: number): Promise<void> {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(refillTimer);
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      graceTimer = setTimeout(() => resolve('late'), graceMs);
    });
    const settled = (async () => {
      await pumping;
      await Promise.allSettled([...inflight]);
      return 'done' as const;
    })();
    const how = await Promise.race([settled, grace]);
    clearTimeout(graceTimer);
    if (how === 'late') {
      abandoned = true;
      rt.logger.warn('outbox stopped with deliveries in flight; their leases expire and they are retried', {
        worker: workerId,
        abandoned: inflight.size,
      });
    }
    // Closing a pool waits for its requests: after the grace, do not wait for the abandoned ones.
    const closing = destinations.close();
    if (how === 'done') await closing;
  }

  if (opts.poll !== false) wake();
  return {
    id: workerId,
    get paused() {
      return pausedSince !== undefined;
    },
    stop,
    wake,
    drainOnce,
  };
}
