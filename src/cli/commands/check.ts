/**
 * `couponbridge check`: validates every mapping against the meta-schema and statically against
 * the message schemas; prints `file:line: message` for each problem, exit 1 on any.
 */
import type { Command } from 'commander';
import { formatProblem, readMappings } from '../../mapping/load';
import { checkMappingSet } from '../../mapping/check';
import { loadSchemaRegistry } from '../../schema/registry';

export function runCheck(dir: string, out: (line: string) => void): number {
  const { set, problems: loadProblems } = readMappings(dir);
  const problems = [...loadProblems, ...checkMappingSet(set, loadSchemaRegistry())].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line,
  );
  for (const p of problems) out(formatProblem(p));
  const total = set.mappings.length + set.notify.length;
  if (problems.length === 0)
    out(`ok: ${total} mappings checked in ${dir} (${set.notify.length} notification kinds)`);
  return problems.length === 0 ? 0 : 1;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('check mapping files against the meta-schema and the message schemas')
    .option('-m, --mappings <dir>', 'mappings directory', 'mappings')
    .action((opts: { mappings: string }) => {
      process.exitCode = runCheck(opts.mappings, (l) => process.stdout.write(`${l}\n`));
    });
}
