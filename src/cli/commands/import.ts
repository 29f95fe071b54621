/**
 * `couponbridge import [--in FILE]`: loads an export (stdin by default) into an EMPTY store in one
 * transaction; refuses a non-empty store, a newer format or schema, and a truncated file.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { readExport } from '../../store/transfer';
import { addStoreOptions, withStore, type StoreOptions } from '../store-option';
import { summary } from './export';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('import')
      .description('load an export into an empty store, all or nothing')
      .option('-i, --in <file>', 'read this file instead of stdin'),
  ).action(async (opts: StoreOptions & { in?: string }) => {
    await withStore(opts, async (store) => {
      // Read only once the store is open: readline drops lines emitted before its iterator exists.
      const input = opts.in ? createReadStream(opts.in) : process.stdin;
      const lines = createInterface({ input, crlfDelay: Infinity });
      try {
        const { header, counts } = await readExport(store, lines);
        process.stderr.write(
          `imported ${summary(counts)} from a ${header.backend} export of ${header.exported_at}\n`,
        );
      } finally {
        lines.close();
        if (opts.in) input.destroy();
      }
    });
  });
}
