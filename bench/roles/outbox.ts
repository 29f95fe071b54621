/**
 * The outbox drain: couponbridge's runtime (no HTTP server) with `count` Tencent status
 * notifications for the SP partner enqueued up front, and the outbox worker (default
 * configuration) delivering them to the fake partner from the moment the role is ready.
 * `work()` counts deliveries and failed attempts so far.
 */
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/log';
import { startOutboxWorker } from '../../src/outbox/worker';
import { closeRuntime, createRuntime } from '../../src/runtime';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { loadCheckedTable } from '../../src/server/reload';
import { openStore } from '../../src/store/open';
import { NOTIFY_KIND, notifyPayload, SP_PARTNER } from '../lib/fixture';
import { benchConfigYaml, writeBenchMappings } from './couponbridge';
import type { Started } from './listen';

const ENQUEUE_CHUNK = 1000;

export async function startOutboxDrain(
  partnerUrl: string,
  workDir: string,
  count: number,
  storeUrl?: string,
): Promise<Started> {
  writeBenchMappings(join(workDir, 'mappings'));
  const yaml = benchConfigYaml(partnerUrl, workDir, partnerUrl, storeUrl);
  const config = parseConfig(yaml, join(workDir, 'bench.yaml'), process.env);
  const registry = loadSchemaRegistry();
  const table = loadCheckedTable(config.mappings, { registry });
  const store = await openStore(config.store);
  const rt = createRuntime(config, { registry, logger: createLogger({ level: 'error' }), table, store });
  for (let i = 0; i < count; i += ENQUEUE_CHUNK) {
    const n = Math.min(ENQUEUE_CHUNK, count - i);
    const items = Array.from({ length: n }, (_, k) => ({
      ...NOTIFY_KIND,
      destination: SP_PARTNER,
      dedupKey: `bench-${i + k}`,
      payload: notifyPayload(i + k),
    }));
    await store.enqueue(items);
  }
  const done = { delivered: 0, failed: 0, samples: [] as string[] };
  const worker = startOutboxWorker(rt, {
    onDelivery: (e) => {
      if (e.outcome === 'delivered') done.delivered++;
      else if (++done.failed <= 3) done.samples.push(`${e.outcome}: ${e.error}`);
    },
  });
  return {
    url: partnerUrl,
    routes: [],
    work: () => ({ done: done.delivered, failed: done.failed, failureSamples: done.samples }),
    close: async () => {
      await worker.stop(1000);
      await closeRuntime(rt);
    },
  };
}
