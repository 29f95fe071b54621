/**
 * Outbox test rig: the sandbox platforms plus a couponbridge runtime (no HTTP server: the worker
 * needs none) on an in-memory or file SQLite store, with two partners that receive notifications
 * at the sandbox — `tx-notify` (Tencent) and `dp-notify` (Dianping), holding the keys the sandbox
 * verifies — and short retry schedules. Workers started through the rig are stopped by close().
 */
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/log';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { loadCheckedTable } from '../../src/server/reload';
import { createRuntime, closeRuntime, type Runtime } from '../../src/runtime';
import { openStore } from '../../src/store/open';
import type { OutboxItem, OutboxItemInput } from '../../src/store/types';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { startOutboxWorker, type OutboxWorker, type OutboxWorkerOptions } from '../../src/outbox/worker';
import { creds, testConfig } from '../support/stack';

export interface RigOptions {
  store?: string;
  /** More `partners:` entries (YAML list items), given the sandbox URLs. */
  partners?: (urls: { tencent: string; dianping: string }) => string;
  /** The `outbox:` section (flow-style YAML map). */
  outbox?: string;
}

export interface Rig {
  sandbox: Sandbox;
  rt: Runtime;
  worker(opts?: OutboxWorkerOptions): OutboxWorker;
  enqueue(item: OutboxItemInput): Promise<OutboxItem>;
  close(): Promise<void>;
}

const registry = loadSchemaRegistry();

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const sandbox = await startSandbox({
    pyun: creds.pyunUpstream,
    tencent: creds.tencentUpstream,
    dianping: creds.dianpingUpstream,
  });
  const urls = { tencent: sandbox.tencentUrl, dianping: sandbox.dianpingUrl };
  const t = creds.tencentUpstream;
  const d = creds.dianpingUpstream;
  const extraYaml = `  - { id: tx-notify, dialect: tencent, api_key: ${t.api_key}, secret: ${t.secret}, notify: { base_url: "${urls.tencent}" } }
  - { id: dp-notify, dialect: dianping, app_key: ${d.app_key}, secret: ${d.secret}, notify: { base_url: "${urls.dianping}" } }
${o.partners?.(urls) ?? ''}
outbox: ${o.outbox ?? '{ retry_schedule_ms: [50, 100, 200], jitter: 0, concurrency_per_destination: 4, poll_interval_ms: 20, lease_ms: 2000 }'}
`;
  const config = testConfig({ pyun: sandbox.pyunUrl, ...urls }, { store: o.store, extraYaml });
  const store = await openStore(config.store);
  const table = loadCheckedTable(config.mappings, { registry });
  const rt = createRuntime(config, { registry, logger: createLogger({ level: 'error' }), store, table });
  const workers: OutboxWorker[] = [];
  return {
    sandbox,
    rt,
    worker(opts) {
      const w = startOutboxWorker(rt, opts);
      workers.push(w);
      return w;
    },
    async enqueue(item) {
      await rt.store.enqueue([item]);
      const row = (await rt.store.listOutbox({ destination: item.destination })).find(
        (r) => r.dedupKey === item.dedupKey,
      );
      if (!row) throw new Error(`enqueued ${item.dedupKey} not found`);
      return row;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop(2000)));
      await closeRuntime(rt);
      await sandbox.close();
    },
  };
}

/** A Tencent coupon status sync (P1 shape) for `destination`; seq_id = dedupKey. */
export function couponUsed(destination = 'tx-notify', extra: Record<string, unknown> = {}): OutboxItemInput {
  const seq = randomUUID();
  return {
    kind: 'tencent.coupon_status_rsync',
    v: 1,
    destination,
    dedupKey: seq,
    payload: {
      app_channel_id: 0,
      user_code: 'outbox-user',
      stock_id: 'cb-demo-001',
      coupon_id: `C${seq.replace(/-/g, '').slice(0, 15)}`,
      coupon_status: 2,
      usage_time: '2024-03-01T10:15:30.000+08:00',
      event_time: '2024-03-01T10:15:31.000+08:00',
      seq_id: seq,
      ...extra,
    },
  };
}

/** Polls `check` every 10 ms until it holds; fails after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
