/**
 * The real couponbridge (startServer) in front of the fake upstream: log level error, one Tencent
 * SP partner, a fresh SQLite file store (or the given PostgreSQL one), and a replay window of an hour so that presigned
 * messages stay fresh for the whole run (each still carries its own nonce), and the legacy
 * grant_serial_fallback, since the T1 messages name coupons the ledger does not hold.
 * Mappings: in the work directory, the shipped mappings the bench drives (T1, T2 when this build
 * has its flow, the outbox's Tencent status notification) — other routes cost nothing per request
 * but could keep a tree under construction from loading — and the stock catalogue plus the bench
 * stock: the demo stock with quotas no run can exhaust.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load';
import type { Flow } from '../../src/mapping/types';
import { hasFlow } from '../../src/flows/registry';
import type { Config } from '../../src/config/types';
import { createLogger } from '../../src/log';
import { startCluster, workerSlot } from '../../src/server/cluster';
import { prepareStore, startServer } from '../../src/server/start';
import { projectRoot } from '../../src/util/paths';
import {
  DEMO_STOCK_ID,
  NOTIFY_MAPPING,
  PYUN_APP_ID,
  SP_API_KEY,
  SP_PARTNER,
  STOCK_ID,
  T1_ROUTE,
  T2_ROUTE,
} from '../lib/fixture';
import type { Started } from './listen';

export const REPLAY_WINDOW_S = 3600;
const UNLIMITED = 1_000_000_000;
const BENCH_ROUTES = [T1_ROUTE, T2_ROUTE];

async function runCluster(o: Parameters<typeof startCluster>[0]): Promise<ReturnType<typeof startCluster>> {
  const primary = startCluster(o);
  try {
    await primary.ready;
  } catch (e) {
    await primary.stop();
    throw e;
  }
  return primary;
}

/**
 * `notifyUrl`: where the SP partner takes outbox notifications (the fake partner). `store`: a
 * store URL (PostgreSQL scenarios); default a fresh SQLite file in workDir.
 */
export function benchConfigYaml(
  upstreamUrl: string,
  workDir: string,
  notifyUrl?: string,
  store?: string,
  workers = 1,
): string {
  const notify = notifyUrl ? `, notify: { base_url: "${notifyUrl}" }` : '';
  return `
server: { host: 127.0.0.1, port: 0, workers: ${workers} }
store: "${store ?? `sqlite:${join(workDir, 'ledger.db')}`}"
mappings: "${join(workDir, 'mappings')}"
replay: { window_s: ${REPLAY_WINDOW_S} }
grant_serial_fallback: coupon_id
log: { level: error }
upstreams:
  pyun: { base_url: "${upstreamUrl}", app_id: ${PYUN_APP_ID}, app_secret: "\${BENCH_PYUN_SECRET}" }
partners:
  - { id: ${SP_PARTNER}, dialect: tencent, api_key: ${SP_API_KEY}, secret: "\${BENCH_SP_SECRET}"${notify} }
`;
}

interface YamlDoc {
  id?: string;
  flow?: Flow;
  stocks?: Record<string, Record<string, unknown>>;
}

/** Writes the bench mappings into `to`. */
export function writeBenchMappings(to: string): void {
  const from = join(projectRoot(), 'mappings');
  mkdirSync(to, { recursive: true });
  // the shared code tables the mappings name (answer.codes_from)
  cpSync(join(from, 'codes'), join(to, 'codes'), { recursive: true });
  for (const name of readdirSync(from).filter((n) => n.endsWith('.yaml'))) {
    const text = readFileSync(join(from, name), 'utf8');
    const doc = parse(text) as YamlDoc;
    if (doc.stocks) {
      const demo = doc.stocks[DEMO_STOCK_ID];
      if (!demo) throw new Error(`${name}: the demo stock ${DEMO_STOCK_ID} is missing`);
      doc.stocks[STOCK_ID] = {
        ...demo,
        partners: [SP_PARTNER],
        max_coupons: UNLIMITED,
        max_coupons_per_user: UNLIMITED,
      };
      writeFileSync(join(to, name), stringify(doc));
    } else if (
      doc.id === NOTIFY_MAPPING ||
      (doc.id && BENCH_ROUTES.includes(doc.id) && doc.flow && hasFlow(doc.flow))
    ) {
      writeFileSync(join(to, name), text);
    }
  }
}

export async function startCouponbridge(
  upstreamUrl: string,
  workDir: string,
  store?: string,
  workers = 1,
  /** undefined: the configuration's default (the write thread on SQLite); false: on the event loop. */
  offLoopWrites?: boolean,
): Promise<Started> {
  writeBenchMappings(join(workDir, 'mappings'));
  const yaml = benchConfigYaml(upstreamUrl, workDir, undefined, store, workers);
  const config = parseConfig(yaml, join(workDir, 'bench.yaml'), process.env);
  if (workers > 1) return startPrimary(config, workers);
  const running = await startServer(config, { watch: false, offLoopWrites });
  return { url: running.url, routes: [...running.rt.table.byId.keys()], close: () => running.stop() };
}

/**
 * `server.workers` > 1: this process is the cluster primary, as `couponbridge serve` would be;
 * each worker re-runs the bundle with the same arguments and lands in startCouponbridgeWorker.
 * The workers' pids go to the probe, which adds their CPU and RSS to the primary's.
 */
async function startPrimary(config: Config, workers: number): Promise<Started> {
  await prepareStore(config);
  const logger = createLogger({ level: config.log.level, maskPlates: false, secrets: [] });
  const primary = await runCluster({ workers, logger, graceMs: config.server.shutdown_grace_ms });
  return {
    url: `http://127.0.0.1:${primary.port()!}`,
    routes: BENCH_ROUTES,
    pids: () => [...primary.workers().values()],
    close: async () => {
      await primary.stop();
    },
  };
}

/** A cluster worker of startPrimary: the server, stopped by the primary's SIGTERM. */
export async function startCouponbridgeWorker(
  upstreamUrl: string,
  workDir: string,
  store?: string,
): Promise<void> {
  const yaml = benchConfigYaml(upstreamUrl, workDir, undefined, store, 2);
  const config = parseConfig(yaml, join(workDir, 'bench.yaml'), process.env);
  const running = await startServer(config, { watch: false, workerSlot: workerSlot() });
  process.once('SIGTERM', () => void running.stop().then(() => process.exit(0)));
}
