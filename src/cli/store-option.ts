/**
 * Operator commands read the store the server writes: from `--store URL`, or from the `store`
 * key of `--config FILE` (which needs the config's ${ENV} secrets set, like `serve`).
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { openStore } from '../store/open';
import type { Store } from '../store/types';
import { terminalSafe } from './terminal';

export interface StoreOptions {
  store?: string;
  config: string;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option(
      '-s, --store <url>',
      'store URL (sqlite:./var/couponbridge.db or postgres://…); overrides the config',
    )
    .option('-c, --config <file>', 'configuration file whose `store` to use', 'couponbridge.yaml');
}

export function storeUrl(opts: StoreOptions): string {
  return opts.store ?? loadConfig(opts.config).store;
}

export async function withStore<T>(opts: StoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeUrl(opts));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Writes one line of output, terminal control characters escaped (it may hold partner data). */
export function print(line = ''): void {
  process.stdout.write(`${terminalSafe(line)}\n`);
}
