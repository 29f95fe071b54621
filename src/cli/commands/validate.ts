/**
 * `couponbridge validate --route R [--partner P] < message`: checks one captured message as it was
 * received (a JSON body, a form body or a query string) — who signed it, its signature, its replay
 * window and its schema — and prints every problem with its JSON pointer. For integrators debugging
 * a partner's traffic: nothing is translated, nothing is called and no nonce is remembered (the
 * pipeline's replay stage runs against a memory that forgets), so validating a message never makes
 * the real one look like a replay. Exit 0: valid; 1: problems; 2: bad usage.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/types';
import { createLogger } from '../../log';
import { loadSchemaRegistry } from '../../schema/registry';
import { closeRuntime, createRuntime, type Partner, type Route, type Runtime } from '../../runtime';
import { loadCheckedTable } from '../../server/reload';
import { newExchange, type Exchange } from '../../pipeline/context';
import { identify, parse, replay, verify } from '../../pipeline/stages/inbound';
import { toCbError, type CbCode } from '../../errors';
import { openStore } from '../../store/open';
import type { BodyEncoding, RawRequest } from '../../dialects/types';
import type { NonceMemory } from '../../ledger/replay-guard';
import { terminalSafe } from '../terminal';
import { processIo, readInputText, runCommand, UsageError, type CliIo } from './sign';

export type ProblemKind = 'transport' | 'partner' | 'signature' | 'replay' | 'schema';

export interface Problem {
  /** JSON pointer into the message ("" is the message itself). */
  path: string;
  kind: ProblemKind;
  message: string;
}

export interface ValidateOptions {
  /** Partner id (partners[].id) whose credentials check the signature; default: the message's key id. */
  partner?: string;
  format?: BodyEncoding;
  /** Extra request headers as received (e.g. P云's `Authorization` on a JSON body). */
  headers?: Record<string, string>;
  /** The time the replay window is checked against (default: now). */
  at?: Date;
}

export interface ValidateResult {
  route: Route;
  format: BodyEncoding;
  partner?: string;
  problems: Problem[];
}

/** A nonce memory that accepts every nonce and keeps none: validating never spends a nonce. */
const forgetfulNonces: NonceMemory = {
  remember: async () => true,
};

/** `--route` accepts a mapping id or its inbound path. */
export function findRoute(rt: Runtime, arg: string): Route {
  const byId = rt.table.byId.get(arg);
  if (byId) return byId;
  for (const r of rt.table.byId.values()) if (r.doc.inbound.path === arg) return r;
  const known = [...rt.table.byId.values()].map((r) => `${r.id} (${r.doc.inbound.path})`);
  throw new UsageError(`unknown route "${arg}"; routes: ${known.join(', ')}`);
}

/**
 * The message's transport: `--format`, else by content — a JSON object, a query string (a URL or
 * `?…`, or `k=v&…` on a GET-only route) or a form body.
 */
function detect(
  text: string,
  route: Route,
  format?: BodyEncoding,
): { format: BodyEncoding; payload: string } {
  const t = text.trim();
  // a request line's target or a URL (`/path?…`, `https://host/path?…`, `?…`): its query string
  const isUrl = /^(\?|\/|https?:\/\/)/i.test(t) && t.includes('?');
  const afterQuestionMark = isUrl ? t.slice(t.indexOf('?') + 1) : undefined;
  const kind: BodyEncoding =
    format ??
    (t.startsWith('{')
      ? 'json'
      : afterQuestionMark !== undefined || !route.methods.includes('POST')
        ? 'query'
        : 'form');
  const payload = kind === 'query' && afterQuestionMark !== undefined ? afterQuestionMark : t;
  return { format: kind, payload };
}

function rawRequest(
  route: Route,
  format: BodyEncoding,
  payload: string,
  headers: Record<string, string>,
): RawRequest {
  const common = { path: route.doc.inbound.path };
  if (format === 'query') return { ...common, method: 'GET', query: payload, headers, body: Buffer.alloc(0) };
  const contentType =
    format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded; charset=UTF-8';
  return {
    ...common,
    method: 'POST',
    query: '',
    headers: { 'content-type': contentType, ...headers },
    body: Buffer.from(payload, 'utf8'),
  };
}

/** The wire field holding the caller's key id (what identify() read, or would have). */
function keyField(x: Exchange): string {
  const d = x.route.dialect;
  if (d.name === 'dianping') return x.msg?.signingParams.app_key !== undefined ? 'app_key' : 'appkey';
  return d.credentialKeys.keyId;
}

const replayField: Partial<Record<CbCode, 'timestampField' | 'nonceField'>> = {
  CB_STALE_TIMESTAMP: 'timestampField',
  CB_REPLAYED_NONCE: 'nonceField',
};

function problemOf(kind: ProblemKind, path: string, e: unknown): Problem {
  const err = toCbError(e);
  return { path, kind, message: err.hint ? `${err.detail} (${err.hint})` : err.detail };
}

function partnerById(rt: Runtime, id: string): Partner {
  for (const p of rt.partners.values()) if (p.id === id) return p;
  const ids = [...rt.partners.values()].map((p) => p.id);
  throw new UsageError(`unknown partner "${id}"; partners: ${ids.join(', ')}`);
}

/** Checks one message; throws UsageError for bad usage (unknown route or partner). */
export async function validateMessage(
  rt: Runtime,
  routeArg: string,
  text: string,
  opts: ValidateOptions = {},
): Promise<ValidateResult> {
  const route = findRoute(rt, routeArg);
  const { format, payload } = detect(text, route, opts.format);
  const named = opts.partner === undefined ? undefined : partnerById(rt, opts.partner);
  if (named && named.dialect !== route.dialect) {
    throw new UsageError(
      `partner ${named.id} speaks ${named.dialect.name}; route ${route.id} takes ${route.dialect.name}`,
    );
  }
  const problems: Problem[] = [];
  const raw = rawRequest(route, format, payload, opts.headers ?? {});
  const x = newExchange({ ...rt, nonces: forgetfulNonces }, route, raw, opts.at);
  const result = (): ValidateResult => ({ route, format, partner: x.partner?.id, problems });

  if (!route.methods.includes(raw.method)) {
    problems.push({
      path: '',
      kind: 'transport',
      message: `${route.id} accepts ${route.methods.join(', ')}; a ${format} message arrives as ${raw.method}`,
    });
  }
  try {
    parse(x);
  } catch (e) {
    problems.push(problemOf('transport', '', e));
    return result(); // nothing to check in a message that cannot be read
  }

  // Who signed it: the named partner, else the one the message's key id names.
  if (named) {
    const claimed = route.dialect.identify(x.msg!, raw);
    if (claimed !== undefined && claimed !== named.creds.keyId) {
      problems.push({
        path: `/${keyField(x)}`,
        kind: 'partner',
        message: `the message names ${keyField(x)} "${claimed}", not partner ${named.id}'s`,
      });
    }
    x.partner = named;
  } else {
    try {
      identify(x);
    } catch (e) {
      problems.push(problemOf('partner', `/${keyField(x)}`, e));
    }
  }

  if (x.partner) {
    try {
      verify(x);
    } catch (e) {
      const signatureIn = format === 'json' && raw.headers.authorization !== undefined ? '' : '/sign';
      problems.push(problemOf('signature', signatureIn, e));
    }
    try {
      await replay(x);
    } catch (e) {
      const err = toCbError(e);
      const fieldKey = replayField[err.code];
      const field = route.dialect.replay && fieldKey ? route.dialect.replay[fieldKey] : 'timestamp';
      problems.push(problemOf('replay', `/${field}`, err));
    }
  }

  // The pipeline's schema check (validateInbound) reports its diagnostics as one line; the same
  // registry call is made here to keep each diagnostic's own pointer.
  const diags = rt.registry.validate(route.doc.inbound.schema, x.msg!.fields, {
    coerce: x.msg!.encoding !== 'json',
  });
  for (const d of diags) problems.push({ path: d.path, kind: 'schema', message: d.message });
  return result();
}

export function formatResult(r: ValidateResult): string {
  if (r.problems.length === 0) {
    return `ok: a valid ${r.route.id} message (${r.format}) signed by ${r.partner ?? '?'}: signature, replay window and ${r.route.doc.inbound.schema} hold\n`;
  }
  const lines = r.problems.map((p) => `${p.path || '/'}: ${p.kind}: ${p.message}`);
  return `${lines.join('\n')}\n${r.problems.length} problem(s) in a ${r.route.id} message (${r.format})\n`;
}

function parseHeader(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf(':');
  if (at <= 0) throw new UsageError(`--header "${value}": expected "Name: value"`);
  return { ...previous, [value.slice(0, at).trim().toLowerCase()]: value.slice(at + 1).trim() };
}

function parseAt(value: string): Date {
  const d = /^\d+$/.test(value)
    ? new Date(Number(value.length <= 10 ? Number(value) * 1000 : value))
    : new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--at "${value}": expected an ISO-8601 time or epoch seconds/ms`);
  return d;
}

async function readMessage(file: string | undefined, io: CliIo): Promise<string> {
  try {
    return await readInputText(file, io);
  } catch (e) {
    if (file === undefined || file === '-')
      throw new UsageError('no input: pipe the captured message on stdin or pass --file <path>');
    throw e;
  }
}

interface CliOptions {
  route: string;
  partner?: string;
  config: string;
  file?: string;
  format?: string;
  header?: string[];
  at?: string;
}

export async function openValidationRuntime(config: Config): Promise<Runtime> {
  const registry = loadSchemaRegistry();
  // Nothing is stored: the runtime's store is a throwaway in-memory one.
  const store = await openStore('sqlite::memory:');
  return createRuntime(config, {
    registry,
    logger: createLogger({ level: 'error' }),
    store,
    nonces: forgetfulNonces,
    table: loadCheckedTable(config.mappings, { registry }),
  });
}

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('validate')
    .description(
      'check one captured inbound message (JSON, form or query string) — partner, signature, replay window, schema — without translating it',
    )
    .requiredOption('-r, --route <route>', 'route id or inbound path (see the mapping files)')
    .option(
      '-p, --partner <id>',
      "partner whose credentials check the signature (default: the message's key id)",
    )
    .option('-c, --config <file>', 'configuration file', 'couponbridge.yaml')
    .option('-f, --file <path>', 'read the message from a file instead of stdin (- is stdin)')
    .option('--format <format>', 'json, form or query (default: detected from the content)')
    .option(
      '-H, --header <header>',
      'a request header as received, "Name: value" (repeatable)',
      (v, p: string[] = []) => [...p, v],
    )
    .option('--at <time>', 'check the replay window as of this time (ISO-8601 or epoch), default now')
    .action((opts: CliOptions) =>
      runCommand(io, async () => {
        if (opts.format !== undefined && !['json', 'form', 'query'].includes(opts.format)) {
          throw new UsageError(`--format must be json, form or query, not "${opts.format}"`);
        }
        const headers = (opts.header ?? []).reduce<Record<string, string>>(
          (acc, h) => parseHeader(h, acc),
          {},
        );
        const at = opts.at === undefined ? undefined : parseAt(opts.at);
        const text = await readMessage(opts.file, io);
        let config: Config;
        try {
          config = loadConfig(opts.config);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const rt = await openValidationRuntime(config);
        try {
          const result = await validateMessage(rt, opts.route, text, {
            partner: opts.partner,
            format: opts.format as BodyEncoding | undefined,
            headers,
            at,
          });
          io.out(terminalSafe(formatResult(result)));
          io.setExitCode(result.problems.length === 0 ? 0 : 1);
        } finally {
          await closeRuntime(rt);
        }
      }),
    );
}
