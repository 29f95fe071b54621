/**
 * Runs CLI commands in-process: the commands register on a fresh commander program with an io
 * that captures stdout, stderr and the exit code; stdin and readable files are given.
 */
import { Command } from 'commander';
import type { CliIo } from '../../src/cli/commands/sign';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export type Register = (program: Command, io: CliIo) => void;

export async function runCli(
  registers: Register[],
  args: string[],
  input: { stdin?: string; files?: Record<string, string> } = {},
): Promise<CliRun> {
  const run: CliRun = { code: 0, stdout: '', stderr: '' };
  const files = input.files ?? {};
  const io: CliIo = {
    readStdin: async () => input.stdin,
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path];
    },
    out: (text) => (run.stdout += text),
    err: (text) => (run.stderr += text),
    setExitCode: (code) => (run.code = code),
  };
  const program = new Command('couponbridge').exitOverride();
  for (const register of registers) register(program, io);
  await program.parseAsync(args, { from: 'user' });
  return run;
}
