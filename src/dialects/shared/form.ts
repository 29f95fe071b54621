/**
 * application/x-www-form-urlencoded (UTF-8), used by P云 and Dianping bodies and by query strings.
 * Parsing: `+` is a space, percent escapes are decoded as UTF-8, a segment without `=` is a key
 * with an empty value, and a repeated key keeps its last value (at its first position).
 * Encoding: encodeURIComponent with spaces as `+`, so `&`, `=`, `+` and Chinese inside values
 * round-trip. Values are the wire strings; signatures are computed over them before encoding.
 */
import { CbError } from '../../errors';
import { valueText } from './signing';
import { setOwn } from '../../util/own';
import { decodeFormComponent, encodeFormComponent } from '../../util/form-component';

function decodeComponent(text: string, where: string): string {
  try {
    return decodeFormComponent(text);
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
  const fields: Record<string, string> = {};
  for (const [key, value] of out) setOwn(fields, key, value);
  return fields;
}

export function encodeForm(values: Record<string, string>): string {
  let out = '';
  for (const k of Object.keys(values))
    out += `${out === '' ? '' : '&'}${encodeFormComponent(k)}=${encodeFormComponent(values[k])}`;
  return out;
}

/** Business fields as wire strings: null/absent dropped, numbers as text, objects/arrays as compact JSON. */
export function formValues(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(fields)) {
    const text = valueText(fields[key]);
    if (text !== undefined) setOwn(out, key, text);
  }
  return out;
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';
