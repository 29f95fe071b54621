/**
 * The real couponbridge (startServer) in front of the fake upstream: the shipped mappings, one
 * Tencent SP partner, log level error, a fresh SQLite file store, and a replay window of an hour
 * so that pre-signed messages stay fresh for the whole run (each still carries its own nonce).
 */
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { hasFlow } from '../../src/pipeline/flows';
import { startServer } from '../../src/server/start';
import { projectRoot } from '../../src/util/paths';
import { PYUN_APP_ID, SP_API_KEY } from '../lib/fixture';
import type { Started } from './listen';

export const REPLAY_WINDOW_S = 3600;

export function benchConfigYaml(upstreamUrl: string, store: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
store: "${store}"
mappings: "${join(projectRoot(), 'mappings')}"
replay: { window_s: ${REPLAY_WINDOW_S} }
log: { level: error }
upstreams:
  pyun: { base_url: "${upstreamUrl}", app_id: ${PYUN_APP_ID}, app_secret: "\${BENCH_PYUN_SECRET}" }
partners:
  - { id: sp-bench, dialect: tencent, api_key: ${SP_API_KEY}, secret: "\${BENCH_SP_SECRET}" }
`;
}

export async function startCouponbridge(upstreamUrl: string, store: string): Promise<Started> {
  const config = parseConfig(benchConfigYaml(upstreamUrl, store), join(projectRoot(), 'bench.yaml'), process.env);
  const running = await startServer(config, { watch: false });
  const routes = [...running.rt.table.byId.values()].filter((r) => hasFlow(r.doc.flow)).map((r) => r.id);
  return { url: running.url, routes, close: () => running.stop() };
}
