/**
 * `couponbridge migrate status`: every shipped migration, applied or pending, with its checksum
 * (exit 1 when an applied one was changed). `couponbridge migrate apply`: applies the pending ones;
 * safe when several instances or operators run it at once (see src/store/migrator.ts).
 */
import type { Command } from 'commander';
import type { MigrationStatus, Migrator } from '../../store/migrator';
import { openMigrator } from '../../store/open';
import { addStoreOptions, print, storeUrl, type StoreOptions } from '../store-option';

async function withMigrator<T>(opts: StoreOptions, fn: (m: Migrator) => Promise<T>): Promise<T> {
  const m = await openMigrator(storeUrl(opts));
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

function line(s: MigrationStatus): string {
  const when = s.appliedAt ? s.appliedAt.toISOString() : '';
  return `${s.name.padEnd(28)} ${s.state.padEnd(8)} ${when.padEnd(24)} sha256:${s.checksum}`;
}

export function register(program: Command): void {
  const migrate = program.command('migrate').description('schema migrations of the store: status, apply');
  addStoreOptions(
    migrate.command('status').description('applied and pending migrations with their checksums'),
  ).action(async (opts: StoreOptions) => {
    await withMigrator(opts, async (m) => {
      const all = await m.status();
      print(`${m.backend} store`);
      for (const s of all) print(`  ${line(s)}`);
      const count = (state: string) => all.filter((s) => s.state === state).length;
      print(
        `${count('applied')} applied, ${count('pending')} pending` +
          (count('newer') > 0 ? `, ${count('newer')} applied by a newer release` : ''),
      );
      if (count('changed') > 0) {
        process.stderr.write('an applied migration was changed since; the store will refuse to open\n');
        process.exitCode = 1;
      }
    });
  });
  addStoreOptions(
    migrate
      .command('apply')
      .description('apply the pending migrations (safe when several instances start at once)'),
  ).action(async (opts: StoreOptions) => {
    await withMigrator(opts, async (m) => {
      const applied = await m.apply();
      for (const s of applied) print(`applied ${line(s)}`);
      if (applied.length === 0) print('nothing to apply: the store is up to date');
    });
  });
}
