/**
 * Structured JSON logs (winston) with redaction applied to every entry, and the pure `redact`
 * the exchange journal reuses. Redaction: values of sensitive keys (sign, secret, *secret*,
 * authorization, password) become "[redacted]" at any depth, also inside JSON or form text;
 * each known secret string becomes `***` wherever it appears; mainland mobile numbers are
 * masked (139****2222); plates optionally (粤B***PP).
 *
 * Output goes to stdout through winston's Console transport (process.stdout is asynchronous for
 * pipes and sockets, which is how containers and supervisors collect it); nothing writes files
 * synchronously on the request path. Pass `stream` to send the lines elsewhere (tests).
 */
import { createLogger as createWinston, format, transports, type Logform, type Logger } from 'winston';
import type { Writable } from 'node:stream';

export interface RedactOptions {
  /**
   * Secret values to blank out wherever they occur (e.g. collectSecrets(config)), or a function
   * returning the current list (credentials reloaded at run time). Only secrets of at least
   * MIN_SECRET_LENGTH characters are matched: the config refuses shorter ones, and a short string
   * would blank out parts of ordinary words.
   */
  secrets?: readonly string[] | (() => readonly string[]);
  maskPlates?: boolean;
}

export interface LoggerOptions extends RedactOptions {
  level: string;
  stream?: Writable;
}

export const REDACTED = '[redacted]';

/**
 * The shortest secret the config accepts, and so the shortest string redaction looks for. A match
 * is not limited to word boundaries: a secret glued to other text (a string-to-sign ends in it)
 * must still be hidden, and a 16-character string does not occur inside ordinary words.
 */
export const MIN_SECRET_LENGTH = 16;

const sensitiveKey = /^(sign|authorization|password)$|secret/i;
const phoneKey = /^(mobile_phone|mobile)$/i;
const phone = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
// Province, issuing-office letter, then 5 (ordinary) or 6 (new-energy) characters.
const plate =
  /([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领])([A-Z])([A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳])/g;
const jsonPair = /"([^"\\]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
const formPair = /(^|[&?])([^=&?\s]+)=([^&]*)/g;

export function redact(value: unknown, opts: RedactOptions = {}): unknown {
  return walk(value, '', contextOf(opts), new WeakSet());
}

/** `redact` for one free-text value (a JSON or form body, a note): the journal's hot path. */
export function redactText(text: string, opts: RedactOptions = {}): string {
  return redactString(text, contextOf(opts));
}

interface Ctx {
  secrets: string[];
  maskPlates: boolean;
}

function walk(v: unknown, key: string, ctx: Ctx, seen: WeakSet<object>): unknown {
  if (key !== '' && sensitiveKey.test(key) && v !== undefined && v !== null && v !== '') return REDACTED;
  if (typeof v === 'string') return phoneKey.test(key) ? maskPhoneValue(v, ctx) : redactString(v, ctx);
  if (typeof v !== 'object' || v === null) return v;
  if (Buffer.isBuffer(v)) return redactString(v.toString('utf8'), ctx);
  if (v instanceof Date) return v;
  if (seen.has(v)) return '[circular]';
  seen.add(v); // ancestors only: an object referenced twice side by side is not a cycle
  let out: unknown[] | Record<string, unknown>;
  if (Array.isArray(v)) out = v.map((x) => walk(x, key, ctx, seen));
  else {
    const entries: [string, unknown][] = Object.entries(v);
    if (v instanceof Error) entries.unshift(['name', v.name], ['message', v.message], ['stack', v.stack]);
    out = Object.fromEntries(entries.map(([k, x]) => [k, walk(x, k, ctx, seen)]));
  }
  seen.delete(v);
  return out;
}

/** Masks inside free text, including JSON and form bodies carried as strings. */
function redactString(s: string, ctx: Ctx): string {
  let out = s;
  for (const secret of ctx.secrets) if (out.includes(secret)) out = out.split(secret).join('***');
  // Each pass runs only when its trigger character is present: this runs on every journaled body.
  if (out.includes('"'))
    out = out.replace(jsonPair, (whole, k: string, colon: string, val: string) =>
      sensitiveKey.test(k) && val !== ''
        ? `"${k}"${colon}"${REDACTED}"`
        : phoneKey.test(k)
          ? `"${k}"${colon}"${maskAny(val)}"`
          : whole,
    );
  if (out.includes('='))
    out = out.replace(formPair, (whole, lead: string, k: string, val: string) =>
      sensitiveKey.test(k) && val !== '' ? `${lead}${k}=${REDACTED}` : whole,
    );
  out = out.replace(phone, '$1****$2');
  if (ctx.maskPlates)
    out = out.replace(plate, (_m, p: string, l: string, tail: string) => p + l + maskTail(tail));
  return out;
}

/** A mobile field is masked whatever its format (it may arrive encrypted). */
function maskPhoneValue(s: string, ctx: Ctx): string {
  const masked = redactString(s, ctx);
  return masked === s ? maskAny(s) : masked;
}

function maskAny(s: string): string {
  if (s === '') return s;
  return s.length >= 8 ? `${s.slice(0, 3)}****${s.slice(-4)}` : '***';
}

function maskTail(tail: string): string {
  return '*'.repeat(tail.length - 2) + tail.slice(-2);
}

/** winston format applying `redact` to every field of an entry (its `level` stays as is). */
export function redactFormat(opts: RedactOptions): Logform.Format {
  const fixed = typeof opts.secrets === 'function' ? undefined : contextOf(opts);
  return format((info) => {
    const ctx = fixed ?? contextOf(opts);
    for (const k of Object.keys(info)) if (k !== 'level') info[k] = walk(info[k], k, ctx, new WeakSet());
    return info;
  })();
}

const sortedSecrets = new WeakMap<readonly string[], string[]>();

function contextOf(opts: RedactOptions): Ctx {
  const given = (typeof opts.secrets === 'function' ? opts.secrets() : opts.secrets) ?? [];
  let secrets = sortedSecrets.get(given);
  if (!secrets) {
    // longest first, so that a secret containing another is blanked whole
    secrets = [...new Set(given)]
      .filter((s) => s.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
    sortedSecrets.set(given, secrets);
  }
  return { secrets, maskPlates: opts.maskPlates === true };
}

export function createLogger(opts: LoggerOptions): Logger {
  return createWinston({
    level: opts.level,
    format: format.combine(
      format.errors({ stack: true }),
      redactFormat(opts),
      format.timestamp(),
      format.json(),
    ),
    transports: [opts.stream ? new transports.Stream({ stream: opts.stream }) : new transports.Console()],
  });
}
