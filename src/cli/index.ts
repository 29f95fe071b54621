/**
 * The `couponbridge` command line. Each command lives in ./commands and registers itself;
 * a failure prints one clear line (never a stack trace) and sets the exit code.
 */
import { Command, CommanderError } from 'commander';
import { register as registerSign } from './commands/sign';
import { register as registerVerify } from './commands/verify';
import { register as registerServe } from './commands/serve';
import { register as registerCheck } from './commands/check';
import { register as registerTranslate } from './commands/translate';
import { register as registerDemo } from './commands/demo';
import { register as registerLedger } from './commands/ledger';
import { register as registerTrace } from './commands/trace';
import { register as registerOutbox } from './commands/outbox';
import { register as registerReconcile } from './commands/reconcile';
import { register as registerMigrate } from './commands/migrate';
import { register as registerExport } from './commands/export';
import { register as registerImport } from './commands/import';
import { register as registerReplay } from './commands/replay';
import { register as registerValidate } from './commands/validate';
import { register as registerOpenapi } from './commands/openapi';
import { register as registerTest } from './commands/test';

export function buildProgram(): Command {
  const program = new Command('couponbridge')
    .description(
      'Protocol adapter between P云 (4pyun), Tencent 出行服务 SP coupons and Dianping coupon consume',
    )
    .version(require('../../package.json').version as string)
    .showHelpAfterError();
  for (const register of [
    registerServe,
    registerDemo,
    registerCheck,
    registerTranslate,
    registerValidate,
    registerOpenapi,
    registerTest,
    registerSign,
    registerVerify,
    registerLedger,
    registerTrace,
    registerOutbox,
    registerReconcile,
    registerMigrate,
    registerExport,
    registerImport,
    registerReplay,
  ]) {
    register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`couponbridge: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
