/**
 * Operator control of the outbox (design §2; nothing is deleted unseen):
 *   outbox list [--state pending|leased|delivered|dead] [--destination D] [--limit N]   oldest first
 *   outbox show ID         the row: kind@v, destination, dedup key, state, attempts, next attempt,
 *                          lease, last error, the partner's answer, the payload pretty-printed
 *   outbox replay ID | --all-dead    dead (or waiting) rows become due now with a fresh attempt
 *                          count; a running couponbridge delivers them within poll_interval_ms
 *   outbox purge --older-than 7d     deletes delivered rows delivered before then, prints the count;
 *                          no other state is ever deleted
 * Like `ledger`, it works on the store from --store or the config's `store`.
 */
import type { Command } from 'commander';
import type { OutboxItem, OutboxState } from '../../store/types';
import { addStoreOptions, print, withStore, type StoreOptions } from '../store-option';
import { progress } from '../progress';

const STATES: OutboxState[] = ['pending', 'leased', 'delivered', 'dead'];
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "7d", "12h", "30m", "45s", "500ms" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration such as 7d, 12h, 30m, 45s or 500ms`);
  return Number(m[1]) * UNITS[m[2]];
}

function oneLine(s: string | undefined, max: number): string {
  if (!s) return '';
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function when(item: OutboxItem): string {
  if (item.state === 'delivered') return `delivered ${item.deliveredAt?.toISOString() ?? '?'}`;
  if (item.state === 'leased') return `leased until ${item.leaseUntil?.toISOString() ?? '?'}`;
  if (item.state === 'dead') return 'dead';
  return `next ${item.nextAttemptAt.toISOString()}`;
}

export function listLine(item: OutboxItem): string {
  return [
    item.id.padStart(6),
    item.state.padEnd(9),
    `${item.kind}@${item.v}`.padEnd(32),
    item.destination.padEnd(14),
    `attempts ${item.attempts}`.padEnd(11),
    when(item),
    item.lastError && item.state !== 'delivered' ? `— ${oneLine(item.lastError, 100)}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

export function showLines(item: OutboxItem): string[] {
  const rows: Array<[string, string | number | undefined]> = [
    ['id', item.id],
    ['kind', `${item.kind}@${item.v}`],
    ['destination', item.destination],
    ['dedup_key', item.dedupKey],
    ['state', item.state],
    ['attempts', item.attempts],
    ['next_attempt', item.state === 'pending' ? item.nextAttemptAt.toISOString() : undefined],
    ['leased_by', item.state === 'leased' ? item.leasedBy : undefined],
    ['lease_until', item.state === 'leased' ? item.leaseUntil?.toISOString() : undefined],
    ['last_error', item.lastError],
    ['answer', item.answerSummary],
    ['created_at', item.createdAt.toISOString()],
    ['updated_at', item.updatedAt.toISOString()],
    ['delivered_at', item.deliveredAt?.toISOString()],
  ];
  const lines = rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(13)} ${String(v)}`);
  return [
    ...lines,
    'payload:',
    ...JSON.stringify(item.payload, null, 2)
      .split('\n')
      .map((l) => `  ${l}`),
  ];
}

function fail(message: string): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}

export function register(program: Command): void {
  const outbox = program.command('outbox').description('inspect, replay and purge outbox notifications');
  addStoreOptions(
    outbox
      .command('list')
      .description('outbox rows, oldest first')
      .option('--state <state>', `only rows in this state (${STATES.join('|')})`)
      .option('--destination <name>', 'only rows for this destination')
      .option('--limit <n>', 'at most this many rows', '100'),
  ).action(async (opts: StoreOptions & { state?: string; destination?: string; limit: string }) => {
    if (opts.state !== undefined && !STATES.includes(opts.state as OutboxState))
      throw new Error(`--state must be one of ${STATES.join(', ')}`);
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
    await withStore(opts, async (store) => {
      const items = await store.listOutbox({
        state: opts.state as OutboxState | undefined,
        destination: opts.destination,
        limit,
      });
      for (const item of items) print(listLine(item));
      if (items.length === 0) print('no outbox rows');
    });
  });
  addStoreOptions(outbox.command('show <id>').description('one row with its payload')).action(
    async (id: string, opts: StoreOptions) => {
      await withStore(opts, async (store) => {
        const item = await store.getOutbox(id);
        if (!item) return fail(`no outbox row ${id}`);
        for (const line of showLines(item)) print(line);
      });
    },
  );
  addStoreOptions(
    outbox
      .command('replay [id]')
      .description('make a dead (or waiting) row due now with a fresh attempt count')
      .option('--all-dead', 'every dead row'),
  ).action(async (id: string | undefined, opts: StoreOptions & { allDead?: boolean }) => {
    if ((id === undefined) === (opts.allDead !== true)) throw new Error('give either a row id or --all-dead');
    await withStore(opts, async (store) => {
      if (opts.allDead) {
        // Row by row, so a terminal shows progress; the ids are read first because every
        // replayed row leaves the dead list.
        const ids: string[] = [];
        for (let offset = 0; ; offset += 1000) {
          const page = await store.listOutbox({ state: 'dead', limit: 1000, offset });
          ids.push(...page.map((i) => i.id));
          if (page.length < 1000) break;
        }
        const bar = progress('replay dead');
        bar.start(ids.length);
        let n = 0;
        try {
          for (const rowId of ids) {
            n += await store.replay(rowId);
            bar.tick();
          }
        } finally {
          bar.stop();
        }
        print(`replayed ${n} dead rows`);
        return;
      }
      const item = await store.getOutbox(id!);
      if (!item) return fail(`no outbox row ${id}`);
      if ((await store.replay(id!)) === 0)
        return fail(`outbox row ${id} is ${item.state}; only dead or pending rows are replayed`);
      print(`replayed ${id} (${item.kind}@${item.v} to ${item.destination}): due now`);
    });
  });
  addStoreOptions(
    outbox
      .command('purge')
      .description('delete delivered rows delivered before a given age; nothing else is deleted')
      .requiredOption('--older-than <duration>', 'age such as 7d, 12h or 30m'),
  ).action(async (opts: StoreOptions & { olderThan: string }) => {
    const before = new Date(Date.now() - parseDuration(opts.olderThan));
    await withStore(opts, async (store) => {
      print(
        `purged ${await store.purgeDelivered(before)} delivered rows (delivered before ${before.toISOString()})`,
      );
    });
  });
}
