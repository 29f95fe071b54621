/**
 * Starts couponbridge: schemas and mappings loaded and checked before listening, one runtime,
 * the HTTP server, metrics, the mapping watcher, and a graceful stop (stop accepting, finish
 * in-flight exchanges within the grace period, close upstream pools).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import type { Config } from '../config/types';
import { collectSecrets } from '../config/load';
import { createLogger } from '../log';
import { loadSchemaRegistry, type SchemaRegistry } from '../schema/registry';
import { closeRuntime, createRuntime, type Runtime } from '../runtime';
import { createHttpServer, type AppState } from './app';
import { createMetrics, type Metrics } from './metrics';
import { loadCheckedTable, watchMappings } from './reload';
import { assertNoPendingMigrations, openStore, parseSqliteUrl } from '../store/open';
import { startWriteThread, type WriteThread } from '../store/write-thread';
import { guardStore } from '../store/guard';
import { hostWorkerId, startOutboxWorker, type OutboxWorker } from '../outbox/worker';
import { onNotificationsStored } from '../outbox/enqueue';
import type { Store } from '../store/types';
import { idempotencyRetentionMs } from '../config/retention';

export interface Running {
  rt: Runtime;
  /** The write thread, when journal and nonce commits run on it. */
  writes?: WriteThread;
  outbox?: OutboxWorker;
  server: Server;
  url: string;
  state: AppState;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  registry?: SchemaRegistry;
  watch?: boolean;
  store?: Store;
  /** Run the outbox worker in this process (default true). */
  outbox?: boolean;
  /**
   * This process's slot (1..N) among `server.workers` cluster workers (cluster.ts): maintenance
   * runs in slot 1 only, the outbox leases under host:port#slot, metrics carry `worker="<slot>"`.
   */
  workerSlot?: number;
  /**
   * Journal and nonce commits on a thread of their own (write-thread.ts) when the store is a
   * SQLite file that startServer opened. Default: `store.write_thread` (true unless set false);
   * the bench (`--only writes`) sets it to measure both.
   */
  offLoopWrites?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The cluster primary's step before forking workers: pending migrations applied (or, with
 * `store.migrate: manual`, refused) once, so that N workers do not race to apply them.
 */
export async function prepareStore(config: Config): Promise<void> {
  const store = await openConfiguredStore(config, () => undefined);
  await store.close();
}

/** Pending migrations are applied at open, unless `store.migrate: manual` asks an operator to. */
async function openConfiguredStore(config: Config, onError: (e: Error) => void): Promise<Store> {
  if (config.store_settings.migrate === 'manual') await assertNoPendingMigrations(config.store);
  return openStore(config.store, { maxConnections: config.store_settings.pool_max, onError });
}

/**
 * The write thread of a SQLite file store (none for PostgreSQL or an in-memory database), taking
 * over the runtime's journal and nonce writers; should the thread end, those take the writes back
 * (logged as an error, counted in `couponbridge_write_thread_failures_total`).
 */
function startOffLoopWrites(rt: Runtime, metrics: Metrics): WriteThread | undefined {
  if (!rt.config.store.startsWith('sqlite:')) return undefined;
  const o = parseSqliteUrl(rt.config.store);
  if (o.path === ':memory:') return undefined;
  const inLoop = { journal: rt.journal, nonces: rt.nonces };
  const writes = startWriteThread(o, {
    ...inLoop,
    onFailover: (e) => {
      metrics.writeThreadFailures.inc();
      rt.logger.error('write thread failed: journal and nonce commits run on the event loop from now on', {
        error: e.message,
      });
    },
  });
  rt.journal = writes.journal;
  rt.nonces = writes.nonces;
  return writes;
}

/** Housekeeping: expired nonces, old journal rows, old idempotency records. */
function startMaintenance(rt: Runtime, everyMs = 60_000): NodeJS.Timeout {
  const run = async () => {
    const now = new Date();
    const j = rt.config.journal;
    try {
      await rt.store.purgeNonces(now);
      await rt.store.pruneJournal(j.max_age_days * DAY_MS, j.max_rows, now);
      await rt.store.purgeIdempotency(new Date(now.getTime() - idempotencyRetentionMs(j)));
    } catch (e) {
      rt.logger.error('maintenance failed', { error: (e as Error).message });
    }
  };
  const t = setInterval(() => void run(), everyMs);
  t.unref();
  return t;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const initialSecrets = collectSecrets(config);
  const live: { rt?: Runtime } = {};
  const logger =
    opts.logger ??
    createLogger({
      level: config.log.level,
      maskPlates: config.log.mask_plates,
      // the runtime's list, so that secrets swapped in by a credential reload are redacted too
      secrets: () => live.rt?.secrets ?? initialSecrets,
    });
  const registry = opts.registry ?? loadSchemaRegistry();
  const table = loadCheckedTable(config.mappings, { registry });
  const backend = config.store.split(':')[0].replace(/ql$/, '');
  const opened =
    opts.store ??
    (await openConfiguredStore(config, (e) =>
      logger.warn('store connection failed', { store: backend, error: e.message }),
    ));
  const store = guardStore(opened, {
    onChange: (h, downMs) =>
      h.up
        ? logger.warn('store reachable again', { store: backend, down_ms: downMs })
        : logger.error('store unreachable: answering 503 until it is back', {
            store: backend,
            reason: h.reason,
          }),
  });
  const rt = createRuntime(config, { registry, logger, table, store });
  live.rt = rt;
  const slot = opts.workerSlot;
  const metrics = createMetrics();
  if (slot !== undefined) metrics.registry.setDefaultLabels({ worker: String(slot) });
  // journal and nonce commits off the event loop, on a connection of their own (write-thread.ts);
  // a store handed in (tests, tools) keeps every write on itself
  const writes =
    opts.store === undefined && (opts.offLoopWrites ?? config.store_settings.write_thread ?? true)
      ? startOffLoopWrites(rt, metrics)
      : undefined;
  if (opened.backend !== 'postgres' && opts.workerSlot !== undefined) {
    // workers on SQLite: the cluster primary keeps the one count every worker consults
    const { clusterRateLimits } = require('../rate-limit') as typeof import('../rate-limit');
    rt.rateLimits = clusterRateLimits(config);
  } else if (opened.backend === 'postgres' && config.partners.some((p) => p.rate_limit)) {
    // loaded only here, like the store itself: the SQLite default never pays for `pg`
    const pg = require('../store/postgres') as typeof import('../store/postgres');
    const { postgresRateLimits } = require('../rate-limit') as typeof import('../rate-limit');
    const schema = pg.parsePostgresUrl(config.store).schema;
    rt.rateLimits = await postgresRateLimits(
      config,
      (opened as InstanceType<typeof pg.PostgresStore>).pool,
      schema,
    );
  }
  const state: AppState = {
    ready: false,
    draining: false,
    inFlight: new Set(),
    probes: [
      {
        name: 'store',
        target: backend,
        check: async () => {
          const h = store.health();
          if (!h.up) throw new Error(`${h.reason} (down since ${h.since!.toISOString()})`);
          await store.ping();
        },
      },
    ],
  };
  // purges need running once, not once per worker
  const maintenance = slot === undefined || slot === 1 ? startMaintenance(rt) : undefined;
  const server = createHttpServer(rt, state, metrics);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    clearInterval(maintenance);
    await writes?.close();
    await closeRuntime(rt);
    throw e;
  }
  const watcher = opts.watch === false ? undefined : watchMappings(rt);
  const addr = server.address() as AddressInfo;
  // A stable id (host:port, and the slot among cluster workers, which share the port) lets a
  // restarted instance take back its own leases at once.
  const outbox =
    opts.outbox === false
      ? undefined
      : startOutboxWorker(rt, {
          workerId: hostWorkerId(addr.port) + (slot === undefined ? '' : `#${slot}`),
          onDelivery: (e) => {
            metrics.outbox.inc({ kind: `${e.kind}@${e.v}`, destination: e.destination, outcome: e.outcome });
            metrics.outboxSeconds.observe({ kind: `${e.kind}@${e.v}` }, e.ms / 1000);
          },
        });
  const unwake = outbox && onNotificationsStored(() => outbox.wake());
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  state.ready = true;
  logger.info('couponbridge listening', {
    url,
    routes: [...rt.table.byId.keys()],
    store: backend,
    ...(slot !== undefined && { worker: slot, pid: process.pid }),
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      state.draining = true;
      watcher?.close();
      clearInterval(maintenance);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A keep-alive connection turns idle once its exchange is answered: close it then, so the
      // drain ends with the last answer rather than at the end of the grace period.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const grace = new Promise<void>((resolve) =>
        setTimeout(resolve, config.server.shutdown_grace_ms).unref(),
      );
      await Promise.race([closed, grace]);
      clearInterval(sweep);
      server.closeAllConnections();
      unwake?.();
      await outbox?.stop(config.server.shutdown_grace_ms);
      // what was posted is committed (or, the thread gone, written in the loop) before the store closes
      await writes?.close();
      await closeRuntime(rt);
    })());
  return { rt, writes, outbox, server, url, state, stop };
}
