/**
 * `couponbridge reconcile --from YYYY-MM-DD --to YYYY-MM-DD [--partner P] [--format table|json|csv]
 * [--out DIR]`: per partner and stock, the claims, redemptions, expiries, invalidations and
 * refunds of the period (Asia/Shanghai days, inclusive) with their values in 分, and the
 * discrepancies a person must look at (docs/settlement.md). `table` is the default on a terminal,
 * `json` otherwise. `--out DIR` also writes one statement per partner (CSV + JSON twin).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { CLAIM_ROUTE, buildStatement } from '../../reconcile/statement';
import { toCsv, toJson, toTable, writeStatementFiles } from '../../reconcile/format';
import { idempotencyRetentionMs } from '../../config/retention';
import { openStore } from '../../store/open';
import { addStoreOptions } from '../store-option';

const DEFAULT_JOURNAL = { max_age_days: 7 };

interface ReconcileCliOptions {
  store?: string;
  config: string;
  from: string;
  to: string;
  partner?: string;
  format?: string;
  out?: string;
  graceMinutes: string;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('reconcile')
      .description('per-partner settlement statement of a period and the discrepancies that need a person')
      .requiredOption('--from <date>', 'first day, YYYY-MM-DD in Asia/Shanghai')
      .requiredOption('--to <date>', 'last day (inclusive), YYYY-MM-DD in Asia/Shanghai')
      .option('--partner <id>', 'only this partner')
      .option('--format <format>', 'table | json | csv (default: table on a terminal, json otherwise)')
      .option('--out <dir>', 'also write one statement per partner: <partner>_<from>_<to>.csv and .json')
      .option(
        '--grace-minutes <n>',
        'a notification past its schedule, or a claim or order unfinished, for longer than this is a discrepancy',
        '15',
      ),
  ).action(async (opts: ReconcileCliOptions) => {
    const format = opts.format ?? (process.stdout.isTTY ? 'table' : 'json');
    if (!['table', 'json', 'csv'].includes(format))
      throw new Error(`--format ${format}: use table, json or csv`);
    const graceMinutes = Number(opts.graceMinutes);
    if (!Number.isFinite(graceMinutes) || graceMinutes < 0)
      throw new Error(`--grace-minutes ${opts.graceMinutes}: a number of minutes`);
    // --store alone reads the ledger without a config; retention then is the default one
    const config = opts.store && !existsSync(opts.config) ? undefined : loadConfig(opts.config);
    const now = new Date();
    const store = await openStore(opts.store ?? config!.store);
    try {
      const statement = await buildStatement(store, {
        from: opts.from,
        to: opts.to,
        partner: opts.partner,
        now,
        graceMs: graceMinutes * 60_000,
        idempotencyKeptSince: new Date(
          now.getTime() - idempotencyRetentionMs(config?.journal ?? DEFAULT_JOURNAL),
        ),
        claimRoute: CLAIM_ROUTE,
      });
      process.stdout.write(
        format === 'table' ? toTable(statement) : format === 'csv' ? toCsv(statement) : toJson(statement),
      );
      if (format === 'csv' && statement.discrepancies.length > 0) {
        process.stderr.write(`${statement.discrepancies.length} discrepancies: see --format table or json\n`);
      }
      if (opts.out) {
        for (const path of writeStatementFiles(opts.out, statement, opts.partner))
          process.stderr.write(`wrote ${path}\n`);
      }
    } finally {
      await store.close();
    }
  });
}
