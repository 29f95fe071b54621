/**
 * Building blocks shared by every signature scheme: the text a value contributes to a
 * string-to-sign, digests, and `defineScheme`, which turns a "build the string-to-sign" function
 * into a sign/verify pair. Verification recomputes the signature and compares it in constant time;
 * a failure reason names the scheme and echoes (abbreviated) what was received, but never the
 * expected signature, so a failed verify cannot be used as a signing oracle.
 */
import * as crypto from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SchemeOptions, SignInput, Signature, SignatureScheme, VerifyOutcome } from '../types';

export const SECRET_MASK = '***';

/** A string-to-sign built twice: with the secret, and with the mask in its place. */
export interface BuiltString {
  stringToSign: string;
  maskedStringToSign: string;
}

export type Builder = (input: SignInput, secret: string, opts: Required<SchemeOptions>) => BuiltString;

// crypto.hash (node ≥ 20.12; engines allows 20.10): one call, no Hash stream object per digest
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function hexDigest(algorithm: 'md5' | 'sha1', text: string): string {
  return oneShot ? oneShot(algorithm, text, 'hex') : createHash(algorithm).update(text, 'utf8').digest('hex');
}

export function md5Hex(text: string): string {
  return hexDigest('md5', text);
}

export function sha1Hex(text: string): string {
  return hexDigest('sha1', text);
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The text one parameter value contributes: strings verbatim, numbers/booleans as their JSON text,
 * objects/arrays as compact JSON (keys sorted recursively when `sortKeys`); undefined for
 * null/absent, which every scheme skips.
 */
export function valueText(value: unknown, sortKeys = false): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value === 'object') return sortKeys ? sortedJson(value) : JSON.stringify(value);
  throw new Error(`cannot sign a value of type ${typeof value}`);
}

/** Calls `each` with every parameter that takes part, as key and text, sorted by key (UTF-16 code units). */
function forEachSigned(
  params: Record<string, unknown>,
  exclude: readonly string[],
  emptyValues: 'skip' | 'sign',
  sortKeys: boolean,
  each: (key: string, text: string) => void,
): void {
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units
  for (const key of Object.keys(params).sort()) {
    if (exclude.includes(key)) continue;
    const text = valueText(params[key], sortKeys);
    if (text === undefined || (text === '' && emptyValues === 'skip')) continue;
    each(key, text);
  }
}

/** The parameters that take part, as [key, text] sorted by key (UTF-16 code units, i.e. ASCII for ASCII keys). */
export function signedEntries(
  params: Record<string, unknown>,
  exclude: readonly string[],
  emptyValues: 'skip' | 'sign',
  sortKeys = false,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  forEachSigned(params, exclude, emptyValues, sortKeys, (key, text) => out.push([key, text]));
  return out;
}

/**
 * signedEntries written `key{pair}text` and joined by `sep` (`a=1&b=2`, or `a1b2` with both
 * empty), without the intermediate arrays: the string-to-sign of every built-in scheme.
 */
export function signedString(
  params: Record<string, unknown>,
  exclude: readonly string[],
  emptyValues: 'skip' | 'sign',
  join: { pair: string; sep: string; sortKeys?: boolean },
): string {
  let out = '';
  let sep = '';
  forEachSigned(params, exclude, emptyValues, join.sortKeys ?? false, (key, text) => {
    out += `${sep}${key}${join.pair}${text}`;
    sep = join.sep;
  });
  return out;
}

export function requireParams(input: SignInput, scheme: string): Record<string, unknown> {
  const { params } = input;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new Error(`scheme ${scheme} signs parameters: params must be an object`);
  }
  return params;
}

/** Shows what the caller sent without reproducing a full signature in logs: first and last 4 characters. */
export function abbreviate(received: string): string {
  return received.length > 12 ? `${received.slice(0, 4)}…${received.slice(-4)}` : received;
}

/** Constant-time, case-insensitive comparison of two hex strings; different lengths are a mismatch. */
export function hexEquals(expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function defineScheme<N extends string>(
  name: N,
  defaults: Required<SchemeOptions>,
  build: Builder,
  digest: (stringToSign: string) => string,
): SignatureScheme<N> {
  const sign = (input: SignInput, secret: string, opts?: SchemeOptions): Signature => {
    if (typeof secret !== 'string' || secret === '')
      throw new Error(`scheme ${name} needs a non-empty secret`);
    const built = build(input, secret, opts ? { ...defaults, ...opts } : defaults);
    return {
      sign: digest(built.stringToSign),
      stringToSign: built.stringToSign,
      maskedStringToSign: built.maskedStringToSign,
    };
  };
  const verify = (
    input: SignInput,
    secret: string,
    received: string,
    opts?: SchemeOptions,
  ): VerifyOutcome => {
    const expected = sign(input, secret, opts);
    const { maskedStringToSign } = expected;
    if (typeof received !== 'string' || received.trim() === '') {
      return {
        ok: false,
        code: 'CB_SIGN_MISSING',
        reason: `sign missing for scheme ${name}`,
        maskedStringToSign,
      };
    }
    if (hexEquals(expected.sign, received.trim())) return { ok: true };
    return {
      ok: false,
      code: 'CB_SIGN_MISMATCH',
      reason: `sign mismatch for scheme ${name} (received ${abbreviate(received.trim())})`,
      maskedStringToSign,
    };
  };
  return { name, sign, verify };
}
