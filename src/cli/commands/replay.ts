/**
 * `couponbridge replay --mappings DIR [--since T] [--until T] [--route R] [--partner P]`: shadow
 * replay of a mapping edit. Re-translates the journaled exchanges with the candidate mapping
 * files and prints every difference with what was actually sent and answered, as
 * `exchange route field: recorded → candidate`, then a summary per route. Calls nothing, changes
 * nothing. Exit 0: no difference; 1: something differs; 2: bad input (options, config, a
 * candidate set that does not load or check).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { createLogger } from '../../log';
import { loadSchemaRegistry } from '../../schema/registry';
import { closeRuntime, createRuntime, type RouteTable, type Runtime } from '../../runtime';
import { loadCheckedTable } from '../../server/reload';
import { formatProblem, MappingLoadError } from '../../mapping/load';
import { openStore } from '../../store/open';
import {
  formatDifference,
  shadowReplay,
  summarize,
  type ReplayFilter,
  type ReplayOutcome,
} from '../../replay/shadow';
import { parseDuration } from './outbox';
import { print } from '../store-option';
import { progress } from '../progress';

/** An ISO-8601 time, or an age such as 2h / 7d meaning "that long ago". */
export function parseTime(text: string, now = Date.now()): Date {
  if (/^\d+(ms|s|m|h|d)$/.test(text)) return new Date(now - parseDuration(text));
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`"${text}" is neither an ISO-8601 time nor an age such as 2h or 7d`);
  return new Date(t);
}

/** Loads a candidate mappings directory; every load or check problem is an error. */
export function loadCandidate(dir: string, rt: Pick<Runtime, 'registry'>): RouteTable {
  try {
    return loadCheckedTable(dir, rt);
  } catch (e) {
    if (e instanceof MappingLoadError)
      throw new Error(`candidate mappings rejected:\n${e.problems.map(formatProblem).join('\n')}`);
    throw e;
  }
}

/** The report lines: each difference, each skip reason once with its count, then one line per route. */
export function reportLines(outcomes: ReplayOutcome[]): string[] {
  const lines: string[] = [];
  const skips = new Map<string, number>();
  for (const o of outcomes) {
    if (o.status === 'different') lines.push(...o.differences.map(formatDifference));
    if (o.status === 'skipped') {
      const k = `${o.route}: ${o.reason}`;
      skips.set(k, (skips.get(k) ?? 0) + 1);
    }
  }
  for (const [k, n] of skips) lines.push(`skipped ${n} × ${k}`);
  for (const s of summarize(outcomes)) {
    lines.push(
      `${s.route}: ${s.replayed} replayed, ${s.differing} differ${s.skipped ? `, ${s.skipped} skipped` : ''}`,
    );
  }
  const differing = outcomes.filter((o) => o.status === 'different').length;
  lines.push(
    differing === 0
      ? `no difference in ${outcomes.length} exchanges`
      : `${differing} of ${outcomes.length} exchanges differ`,
  );
  return lines;
}

export interface ReplayOptions {
  config: string;
  mappings: string;
  store?: string;
  since?: string;
  until?: string;
  route?: string;
  partner?: string;
  limit?: string;
}

/** The whole command: exit code 0 (no difference) or 1; throws on bad input (the CLI exits 2). */
export async function runReplay(opts: ReplayOptions, write: (line: string) => void): Promise<number> {
  const filter: ReplayFilter = {
    since: opts.since ? parseTime(opts.since) : undefined,
    until: opts.until ? parseTime(opts.until) : undefined,
    route: opts.route,
    partner: opts.partner,
  };
  if (opts.limit !== undefined) {
    filter.limit = Number(opts.limit);
    if (!Number.isInteger(filter.limit) || filter.limit < 1)
      throw new Error('--limit must be a positive integer');
  }
  const config = loadConfig(opts.config);
  const registry = loadSchemaRegistry();
  const candidate = loadCandidate(opts.mappings, { registry });
  if (filter.route && !candidate.byId.has(filter.route))
    throw new Error(`unknown route "${filter.route}" in ${opts.mappings}`);
  const store = await openStore(opts.store ?? config.store);
  const rt = createRuntime(config, {
    registry,
    logger: createLogger({ level: 'error' }),
    store,
    table: candidate,
  });
  const bar = progress('replay');
  try {
    const outcomes = await shadowReplay(rt, candidate, filter, bar);
    bar.stop();
    for (const line of reportLines(outcomes)) write(line);
    return outcomes.some((o) => o.status === 'different') ? 1 : 0;
  } finally {
    bar.stop();
    await closeRuntime(rt);
  }
}

export function register(program: Command): void {
  program
    .command('replay')
    .description(
      'shadow replay: re-translate journaled exchanges with candidate mappings and show differences',
    )
    .requiredOption('-m, --mappings <dir>', 'candidate mappings directory')
    .option(
      '-c, --config <file>',
      'configuration file (partners, upstream credentials, store)',
      'couponbridge.yaml',
    )
    .option('-s, --store <url>', 'journal store URL; overrides the config')
    .option('--since <time>', 'only exchanges at or after this ISO time or age (2h, 7d)')
    .option('--until <time>', 'only exchanges at or before this ISO time or age')
    .option('--route <id>', 'only this route')
    .option('--partner <id>', 'only this partner')
    .option('--limit <n>', 'only the newest N matching exchanges')
    .action(async (opts: ReplayOptions) => {
      process.exitCode = await runReplay(opts, print);
    });
}
