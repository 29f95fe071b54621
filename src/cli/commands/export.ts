/**
 * `couponbridge export [--out FILE] [--journal]`: the whole state of a store as versioned NDJSON
 * (src/store/transfer.ts), to stdout by default; the row counts go to stderr. With a file, it is
 * written next to its final name and renamed once complete, so a failed export leaves no file that
 * looks whole.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Command } from 'commander';
import { writeExport } from '../../store/transfer';
import { addStoreOptions, withStore, type StoreOptions } from '../store-option';

/** Awaits the stream's drain when its buffer is full. */
function writer(out: Writable): (line: string) => Promise<void> | void {
  return (line) => {
    if (!out.write(line)) return once(out, 'drain').then(() => undefined);
  };
}

async function finish(out: Writable): Promise<void> {
  out.end();
  await once(out, 'finish');
}

export function summary(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const parts = Object.entries(counts).map(([t, n]) => `${t} ${n}`);
  return `${total} rows${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('export')
      .description('write the whole state of the store as versioned NDJSON (to move it to another store)')
      .option('-o, --out <file>', 'write to this file instead of stdout')
      .option('--journal', 'include the exchange journal', false),
  ).action(async (opts: StoreOptions & { out?: string; journal: boolean }) => {
    await withStore(opts, async (store) => {
      if (!opts.out) {
        const counts = await writeExport(store, writer(process.stdout), { journal: opts.journal });
        process.stderr.write(`exported ${summary(counts)}\n`);
        return;
      }
      const partial = `${opts.out}.partial`;
      const out = createWriteStream(partial);
      try {
        const counts = await writeExport(store, writer(out), { journal: opts.journal });
        await finish(out);
        renameSync(partial, opts.out);
        process.stderr.write(`exported ${summary(counts)} to ${opts.out}\n`);
      } catch (e) {
        out.destroy();
        rmSync(partial, { force: true });
        throw e;
      }
    });
  });
}
