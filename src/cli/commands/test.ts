/**
 * `couponbridge test [--mappings DIR] [--route R] [--update] [--require-full-coverage]`: runs the
 * contract test cases kept with the mapping files (DIR/tests/<route-id>/<case>.yaml), offline and
 * calling nothing (src/contract/suite.ts; the format: docs/contract-tests.md).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runSuite } from '../../contract/suite';
import { DEFAULT_GENERATED_RUNS, runGeneratedCommand } from '../../contract/generated-checks';
import { projectRoot } from '../../util/paths';
import { processIo, runCommand, type CliIo } from './sign';

/** ./mappings when the working directory has one (an integrator's copy), else the shipped mappings. */
function defaultMappings(): string {
  return existsSync('mappings') ? resolve('mappings') : join(projectRoot(), 'mappings');
}

interface CliOptions {
  mappings?: string;
  route?: string;
  update?: boolean;
  requireFullCoverage?: boolean;
  generate?: string | true;
  seed?: string;
}

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('test')
    .description('run the contract test cases kept with the mappings (DIR/tests), offline; prints coverage')
    .option('-m, --mappings <dir>', 'mappings directory (default: ./mappings, else the shipped mappings)')
    .option('-r, --route <id>', 'run only the cases of this route')
    .option('--update', 'rewrite the expect blocks of the selected cases from what ran (prints what changed)')
    .option('--require-full-coverage', 'fail (exit 1) unless every branch and code row has a case')
    .option(
      '--generate [n]',
      `also run the schema-generated contract checks: n messages per route (default ${DEFAULT_GENERATED_RUNS})`,
    )
    .option('--seed <s>', 'seed of --generate (printed; the same seed gives the same messages)')
    .addHelpText(
      'after',
      '\nExit 0: all cases pass; 1: a case failed (each difference as file:line: field: expected → got)\n' +
        'or coverage is short with --require-full-coverage; 2: bad usage, a broken case file or broken mappings.\n' +
        'Format of the cases: docs/contract-tests.md.',
    )
    .action((opts: CliOptions) =>
      runCommand(io, async () => {
        const code = await runSuite(
          {
            mappingsDir: opts.mappings ?? defaultMappings(),
            route: opts.route,
            update: opts.update,
            requireFullCoverage: opts.requireFullCoverage,
          },
          (text) => io.out(text),
        );
        const generated = opts.generate
          ? await runGeneratedCommand(
              {
                mappingsDir: opts.mappings ?? defaultMappings(),
                ...opts,
                generate: opts.generate,
              },
              (text) => io.out(text),
            )
          : 0;
        io.setExitCode(Math.max(code, generated));
      }),
    );
}
