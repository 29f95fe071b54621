/**
 * `couponbridge verify`: checks a signature. Input as for `sign` plus `sign` (the received value).
 * Prints "ok" and exits 0 on a match; on a mismatch prints the reason and the string-to-sign
 * (secret masked) on stderr and exits 1; bad input exits 2.
 */
import type { Command } from 'commander';
import {
  EXIT_MISMATCH,
  processIo,
  readInputText,
  readSignRequest,
  runCommand,
  UsageError,
  type CliIo,
} from './sign';

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('verify')
    .description('check a signature given as JSON {scheme, secret, app_key?, params | body, sign}')
    .option('-f, --file <path>', 'read the JSON input from a file instead of stdin (- is stdin)')
    .action((opts: { file?: string }) =>
      runCommand(io, async () => {
        const { request, obj } = readSignRequest(await readInputText(opts.file, io));
        const received = obj.sign;
        if (typeof received !== 'string' || received === '') {
          throw new UsageError('input field "sign" must be a non-empty string (the signature to check)');
        }
        let outcome;
        try {
          outcome = request.scheme.verify(request.input, request.secret, received, request.options);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        if (outcome.ok) {
          io.out('ok\n');
          return;
        }
        io.err(`${outcome.reason}\nstring-to-sign: ${outcome.maskedStringToSign}\n`);
        io.setExitCode(EXIT_MISMATCH);
      }),
    );
}
