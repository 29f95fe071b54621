/**
 * Structural rules every inbound message obeys before any signature work: well-formed Unicode
 * text (no lone surrogates, in keys or values); no key that could reach an object's prototype
 * (`__proto__`, `constructor`, `prototype`) at any depth — JSON bodies, form and query fields, and JSON documents carried inside string fields (`mcoupons`,
 * `couponCode` lists, `extra`) — and no nesting deeper than MAX_JSON_DEPTH. Such a message is a
 * parameter error (CB_BODY_MALFORMED) whatever its signature says: a correctly signed message
 * with a prototype key is still refused, and nothing is called.
 */
import { CbError } from '../../errors';

/** Deepest nesting of objects and arrays accepted; the deepest seed message nests 3 levels. */
export const MAX_JSON_DEPTH = 32;

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Throws CB_BODY_MALFORMED when JSON text nests deeper than MAX_JSON_DEPTH. A linear scan of the
 * text, run before JSON.parse, so that a hostile body cannot make any recursive walk overflow.
 */
export function assertJsonDepth(text: string, where = 'JSON body'): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new CbError('CB_BODY_MALFORMED', `${where} nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

// a high surrogate not followed by a low one, or a low one not preceded by a high one
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// any surrogate at all: a plain character-class scan, so that the look-around runs only when one is there
const anySurrogate = /[\ud800-\udfff]/;
const hasLoneSurrogate = (s: string): boolean => anySurrogate.test(s) && loneSurrogate.test(s);

/**
 * Throws CB_BODY_MALFORMED naming the first offending place in the fields (or inside their JSON
 * strings): a prototype key, or a key or value that is not well-formed Unicode (a JSON escape such
 * as "\ud800" decodes to a lone surrogate, which no encoder downstream — the re-signed form, the
 * journal — accepts).
 */
export function assertSafeFields(fields: Record<string, unknown>): void {
  const found = findUnsafe(fields, '');
  if (found !== undefined) throw new CbError('CB_BODY_MALFORMED', found);
}

function findUnsafe(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') {
    if (hasLoneSurrogate(v)) return `${path || 'value'}: not well-formed Unicode (a lone surrogate)`;
    return findInJsonString(v, path);
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = findUnsafe(v[i], `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(v)) {
    if (PROTOTYPE_KEYS.has(key)) return `${path}/${key}: key "${key}" is not allowed`;
    if (hasLoneSurrogate(key)) return `${path}/: a key is not well-formed Unicode (a lone surrogate)`;
    const found = findUnsafe((v as Record<string, unknown>)[key], `${path}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A string field holding a JSON object or array is decoded and checked too. */
function findInJsonString(s: string, path: string): string | undefined {
  const first = s.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  assertJsonDepth(s, `${path || 'value'} (JSON text)`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(s);
  } catch {
    return undefined; // not JSON after all: the schema judges the text as text
  }
  return findUnsafe(decoded, path);
}
