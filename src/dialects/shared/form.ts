/**
 * application/x-www-form-urlencoded (UTF-8), used by P云 and Dianping bodies and by query strings.
 * Parsing: `+` is a space, percent escapes are decoded as UTF-8, a segment without `=` is a key
 * with an empty value, and a repeated key keeps its last value (at its first position).
 * Encoding: encodeURIComponent with spaces as `+`, so `&`, `=`, `+` and Chinese inside values
 * round-trip. Values are the wire strings; signatures are computed over them before encoding.
 */
import { CbError } from '../../errors';
import { valueText } from './signing';

function decodeComponent(text: string, where: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new CbError('CB_BODY_MALFORMED', `bad percent-encoding in ${where}: "${text.slice(0, 64)}"`);
  }
}

export function parseForm(text: string, what = 'form body'): Record<string, string> {
  const out = new Map<string, string>();
  for (const segment of text.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const rawKey = eq < 0 ? segment : segment.slice(0, eq);
    const key = decodeComponent(rawKey, `${what} key`);
    const value = eq < 0 ? '' : decodeComponent(segment.slice(eq + 1), `${what} field "${key}"`);
    out.set(key, value);
  }
  return Object.fromEntries(out);
}

function encodeComponent(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

export function encodeForm(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`)
    .join('&');
}

/** Business fields as wire strings: null/absent dropped, numbers as text, objects/arrays as compact JSON. */
export function formValues(fields: Record<string, unknown>): Record<string, string> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(fields)) {
    const text = valueText(value);
    if (text !== undefined) out.push([key, text]);
  }
  return Object.fromEntries(out);
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';
