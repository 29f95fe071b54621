/**
 * The entry point (with types.ts) for code outside src/dialects/. The dialects themselves are
 * listed once, in registry.ts; a fourth one is a new folder plus one line there, or a
 * registerDialect call for a dialect that lives elsewhere.
 */
import type { Dialect } from './types';
import { builtinDescriptors } from './registry';
import type { descriptor as dianping } from './dianping';
import type { descriptor as pyun } from './pyun';
import type { descriptor as tencent } from './tencent';

/** The built-in dialects by name (their codecs, signers, envelopes, codes and clients). */
export const dialects = Object.fromEntries(builtinDescriptors.map((d) => [d.dialect.name, d.dialect])) as {
  pyun: (typeof pyun)['dialect'];
  tencent: (typeof tencent)['dialect'];
  dianping: (typeof dianping)['dialect'];
} satisfies Record<string, Dialect>;

export type DialectName = keyof typeof dialects;

/** The built-in dialect names. */
export const dialectNames = builtinDescriptors.map((d) => d.dialect.name) as DialectName[];

export {
  allSchemes,
  builtinDescriptors,
  dialectDescriptors,
  findDescriptor,
  getDialect,
  knownDialectNames,
  registerDialect,
} from './registry';
export { getScheme, isSchemeName, schemeNames, schemes } from './schemes';
export { encodeForm, parseForm } from './shared/form';
export { parseJsonObject } from './shared/json';
export { assertSafeFields, MAX_JSON_DEPTH } from './shared/input-rules';
export type { JsonView } from './shared/json';
