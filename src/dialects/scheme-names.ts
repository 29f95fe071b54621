/**
 * The built-in signature scheme names, gathered from each dialect folder's scheme-names.ts (plain
 * `as const` data, so that types.ts can derive SchemeName without importing the dialects). A
 * dialect registered at runtime brings schemes whose names are plain strings.
 */
import { schemeNames as dianping } from './dianping/scheme-names';
import { schemeNames as pyun } from './pyun/scheme-names';
import { schemeNames as tencent } from './tencent/scheme-names';

export const builtinSchemeNames = [...pyun, ...tencent, ...dianping] as const;

export type SchemeName = (typeof builtinSchemeNames)[number];
