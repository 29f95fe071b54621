/**
 * The signature schemes by name, gathered from the dialect descriptors. `schemes` holds the
 * built-in ones (typed over SchemeName); `getScheme` is what config loading and the CLI call: it
 * also finds a registered dialect's scheme, and rejects an unknown name with the list of known ones.
 */
import type { SchemeName, SignatureScheme } from './types';
import { allSchemes, builtinDescriptors } from './registry';
import { builtinSchemeNames } from './scheme-names';

export const schemes = Object.fromEntries(
  builtinDescriptors.flatMap((d) => d.schemes.map((s) => [s.name, s])),
) as Record<SchemeName, SignatureScheme>;

export const schemeNames: readonly SchemeName[] = builtinSchemeNames;

export function isSchemeName(name: unknown): name is SchemeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(schemes, name);
}

export function getScheme(name: string): SignatureScheme {
  const all = allSchemes();
  const scheme = all.get(name);
  if (!scheme) {
    throw new Error(
      `unknown signature scheme ${JSON.stringify(name)}; known schemes: ${[...all.keys()].join(', ')}`,
    );
  }
  return scheme;
}
