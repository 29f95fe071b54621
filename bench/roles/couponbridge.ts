/**
 * The real couponbridge (startServer) in front of the fake upstream: log level error, one Tencent
 * SP partner, a fresh SQLite file store, and a replay window of an hour so that presigned
 * messages stay fresh for the whole run (each still carries its own nonce).
 * Mappings: a copy of the shipped directory in the work directory, where a mapping whose flow this
 * build does not have yet is left out (so a tree under construction still benchmarks), and the
 * bench stock is added: the demo stock with quotas no run can exhaust.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load';
import type { Flow } from '../../src/mapping/types';
import { hasFlow } from '../../src/pipeline/flows';
import { startServer } from '../../src/server/start';
import { projectRoot } from '../../src/util/paths';
import { DEMO_STOCK_ID, PYUN_APP_ID, SP_API_KEY, STOCK_ID } from '../lib/fixture';
import type { Started } from './listen';

export const REPLAY_WINDOW_S = 3600;
const UNLIMITED = 1_000_000_000;

export function benchConfigYaml(upstreamUrl: string, workDir: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
store: "sqlite:${join(workDir, 'ledger.db')}"
mappings: "${join(workDir, 'mappings')}"
replay: { window_s: ${REPLAY_WINDOW_S} }
log: { level: error }
upstreams:
  pyun: { base_url: "${upstreamUrl}", app_id: ${PYUN_APP_ID}, app_secret: "\${BENCH_PYUN_SECRET}" }
partners:
  - { id: sp-bench, dialect: tencent, api_key: ${SP_API_KEY}, secret: "\${BENCH_SP_SECRET}" }
`;
}

interface YamlDoc {
  flow?: Flow;
  stocks?: Record<string, Record<string, unknown>>;
}

/** Writes the bench mappings into `to`; returns the shipped files left out. */
export function writeBenchMappings(to: string): string[] {
  const from = join(projectRoot(), 'mappings');
  mkdirSync(to, { recursive: true });
  const skipped: string[] = [];
  for (const name of readdirSync(from).filter((n) => n.endsWith('.yaml'))) {
    const text = readFileSync(join(from, name), 'utf8');
    const doc = parse(text) as YamlDoc;
    if (doc.stocks) {
      const demo = doc.stocks[DEMO_STOCK_ID];
      if (!demo) throw new Error(`${name}: the demo stock ${DEMO_STOCK_ID} is missing`);
      doc.stocks[STOCK_ID] = { ...demo, max_coupons: UNLIMITED, max_coupons_per_user: UNLIMITED };
      writeFileSync(join(to, name), stringify(doc));
    } else if (doc.flow && !hasFlow(doc.flow)) {
      skipped.push(name);
    } else {
      writeFileSync(join(to, name), text);
    }
  }
  return skipped;
}

export async function startCouponbridge(upstreamUrl: string, workDir: string): Promise<Started> {
  const skipped = writeBenchMappings(join(workDir, 'mappings'));
  if (skipped.length > 0) process.stderr.write(`bench: mappings without a flow in this build, left out: ${skipped.join(', ')}\n`);
  const config = parseConfig(benchConfigYaml(upstreamUrl, workDir), join(workDir, 'bench.yaml'), process.env);
  const running = await startServer(config, { watch: false });
  return { url: running.url, routes: [...running.rt.table.byId.keys()], close: () => running.stop() };
}
