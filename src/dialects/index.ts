/**
 * The dialect registry: the only entry point (with types.ts) for code outside src/dialects/.
 * A fourth dialect is a new folder plus one line in `dialects`.
 */
import type { Dialect } from './types';
import { dialect as dianping } from './dianping';
import { dialect as pyun } from './pyun';
import { dialect as tencent } from './tencent';

export const dialects = { pyun, tencent, dianping } satisfies Record<string, Dialect>;

export type DialectName = keyof typeof dialects;

export const dialectNames = Object.keys(dialects) as DialectName[];

export function getDialect(name: string): Dialect {
  if (!Object.prototype.hasOwnProperty.call(dialects, name)) {
    throw new Error(`unknown dialect ${JSON.stringify(name)}; known dialects: ${dialectNames.join(', ')}`);
  }
  return dialects[name as DialectName];
}

export { getScheme, isSchemeName, schemeNames, schemes } from './schemes';
export { encodeForm, parseForm } from './shared/form';
export { parseJsonObject } from './shared/json';
export { assertSafeFields, MAX_JSON_DEPTH } from './shared/input-rules';
export type { JsonView } from './shared/json';
