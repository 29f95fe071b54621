/**
 * `couponbridge sign`: computes a signature from one JSON object on stdin or in --file, shaped like
 * a vectors.json entry: `scheme`, `secret`, optional `app_key` (dianping-sha1's prefix), optional
 * `emptyValues` ('skip' | 'sign'), and `params` (values exactly as on the wire) or `body` (the raw
 * body, for pyun-json-md5). Prints the signature alone on stdout; --explain adds the string-to-sign,
 * secret masked, on stderr. Bad input is one line on stderr and exit code 2, never a stack trace.
 * The input reader and the I/O seam (used by tests to run the command in-process) live here and are
 * shared with `verify`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { getScheme } from '../../dialects/index';
import type { SchemeOptions, SignatureScheme, SignInput } from '../../dialects/types';

export interface CliIo {
  /** The whole of stdin, or undefined when stdin is a terminal (nothing piped). */
  readStdin(): Promise<string | undefined>;
  readFile(path: string): string;
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  async readStdin() {
    if (process.stdin.isTTY) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  },
  readFile: (path) => readFileSync(path, 'utf8'),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** Bad input: reported as one line, exit code 2. */
export class UsageError extends Error {}

export const EXIT_MISMATCH = 1;
export const EXIT_USAGE = 2;

export interface SignRequest {
  scheme: SignatureScheme;
  secret: string;
  input: SignInput;
  options: SchemeOptions;
}

function field(
  obj: Record<string, unknown>,
  key: string,
  type: 'string' | 'object',
  required: boolean,
): unknown {
  const value = obj[key];
  if (value === undefined) {
    if (required) throw new UsageError(`input is missing the field "${key}"`);
    return undefined;
  }
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if ((type === 'object' && !isObject) || (type === 'string' && typeof value !== 'string')) {
    throw new UsageError(`input field "${key}" must be ${type === 'object' ? 'a JSON object' : 'a string'}`);
  }
  return value;
}

/** Reads and checks the input object; `obj` is returned too so `verify` can read its `sign`. */
export function readSignRequest(text: string): { request: SignRequest; obj: Record<string, unknown> } {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`input is not valid JSON: ${(e as Error).message}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new UsageError('input must be one JSON object with "scheme", "secret" and "params" or "body"');
  }
  const o = obj as Record<string, unknown>;
  let scheme: SignatureScheme;
  try {
    scheme = getScheme(field(o, 'scheme', 'string', true) as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const secret = field(o, 'secret', 'string', true) as string;
  if (secret === '') throw new UsageError('input field "secret" must not be empty');
  const appKey = field(o, 'app_key', 'string', scheme.name === 'dianping-sha1') as string | undefined;
  const signsBody = scheme.name === 'pyun-json-md5';
  const params = field(o, 'params', 'object', !signsBody) as Record<string, unknown> | undefined;
  const body = field(o, 'body', 'string', signsBody) as string | undefined;
  if (signsBody && params !== undefined)
    throw new UsageError('scheme pyun-json-md5 signs "body"; remove "params"');
  if (!signsBody && body !== undefined)
    throw new UsageError(`scheme ${scheme.name} signs "params"; remove "body"`);
  const emptyValues = field(o, 'emptyValues', 'string', false);
  if (emptyValues !== undefined && emptyValues !== 'skip' && emptyValues !== 'sign') {
    throw new UsageError('input field "emptyValues" must be "skip" or "sign"');
  }
  const options: SchemeOptions = emptyValues === undefined ? {} : { emptyValues };
  return { request: { scheme, secret, input: { params, body, appKey }, options }, obj: o };
}

export async function readInputText(file: string | undefined, io: CliIo): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return io.readFile(file);
    } catch (e) {
      throw new UsageError(
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  const text = await io.readStdin();
  if (text === undefined || text.trim() === '') {
    throw new UsageError('no input: pipe one JSON object on stdin or pass --file <path>');
  }
  return text;
}

/** Runs a command body, turning UsageError (and anything unexpected) into one line and exit 2. */
export async function runCommand(io: CliIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    io.err(`couponbridge: ${e instanceof Error ? e.message : String(e)}\n`);
    io.setExitCode(EXIT_USAGE);
  }
}

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('sign')
    .description('print the signature of a message given as JSON {scheme, secret, app_key?, params | body}')
    .option('-f, --file <path>', 'read the JSON input from a file instead of stdin (- is stdin)')
    .option('--explain', 'also print the string-to-sign (secret masked) on stderr')
    .action((opts: { file?: string; explain?: boolean }) =>
      runCommand(io, async () => {
        const { request } = readSignRequest(await readInputText(opts.file, io));
        let signature;
        try {
          signature = request.scheme.sign(request.input, request.secret, request.options);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        io.out(`${signature.sign}\n`);
        if (opts.explain) io.err(`string-to-sign: ${signature.maskedStringToSign}\n`);
      }),
    );
}
