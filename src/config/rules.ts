/**
 * Cross-field rules the JSON Schema cannot express, checked before the server listens: unique
 * partner ids, unique key ids within a dialect, known dialects with their own credential keys and
 * schemes, and the store URL form. The dialects, their keys and schemes come from the dialect
 * registry (dialectKeys), or from the caller through ParseOptions.dialects.
 */
import type { DialectDescriptor } from '../dialects/types';
import type { PathProblem } from './interpolate';
import type { Config, PartnerConfig } from './types';

export interface DialectKeys {
  /** Config key holding the partner's key id (Dialect.credentialKeys.keyId). */
  keyId: string;
  /** Config key holding the partner's secret. */
  secret: string;
  schemes: readonly string[];
}

/** What the rules need of each dialect, by name. */
export function dialectKeys(descriptors: readonly DialectDescriptor[]): Record<string, DialectKeys> {
  return Object.fromEntries(
    descriptors.map((d) => [
      d.dialect.name,
      { ...d.dialect.credentialKeys, schemes: d.schemes.map((s) => s.name) },
    ]),
  );
}

const storeForms = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;

/** Tolerates a config that failed its schema, so that all problems are reported together. */
export function crossFieldProblems(
  config: Config,
  dialects: Readonly<Record<string, DialectKeys>>,
): PathProblem[] {
  const problems: PathProblem[] = [];
  const store: unknown = config.store;
  const [storeUrl, storePath] =
    typeof store === 'object' && store !== null
      ? [(store as { url?: unknown }).url, ['store', 'url']]
      : [store, ['store']];
  if (typeof storeUrl === 'string' && !storeForms.test(storeUrl)) {
    problems.push({
      path: storePath,
      message: `"${storeUrl}" is not sqlite:<path>, postgres://… or postgresql://…`,
    });
  }
  const credentialKeys = new Set(Object.values(dialects).flatMap((d) => [d.keyId, d.secret]));
  const firstById = new Map<string, number>();
  const firstByKey = new Map<string, number>();
  const partners = Array.isArray(config.partners) ? config.partners : [];
  partners.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || typeof p.dialect !== 'string')
      return;
    const at = (key: string): string[] => ['partners', String(i), key];
    const earlier = firstById.get(p.id);
    if (earlier !== undefined) {
      problems.push({
        path: at('id'),
        message: `duplicate partner id "${p.id}" (also /partners/${earlier}/id)`,
      });
    } else firstById.set(p.id, i);

    const d = Object.hasOwn(dialects, p.dialect) ? dialects[p.dialect] : undefined;
    if (!d) {
      const known = Object.keys(dialects).join(', ');
      problems.push({ path: at('dialect'), message: `unknown dialect "${p.dialect}" (known: ${known})` });
      return;
    }
    if (field(p, d.keyId) === undefined) {
      problems.push({ path: at(d.keyId), message: `required for a ${p.dialect} partner` });
    }
    const hasList = field(p, 'secrets') !== undefined;
    if (field(p, d.secret) === undefined && !hasList) {
      problems.push({ path: at(d.secret), message: `required for a ${p.dialect} partner (or secrets)` });
    } else if (field(p, d.secret) !== undefined && hasList) {
      problems.push({ path: at('secrets'), message: `give either ${d.secret} or secrets, not both` });
    }
    for (const key of credentialKeys) {
      if (key !== d.keyId && key !== d.secret && field(p, key) !== undefined) {
        problems.push({
          path: at(key),
          message: `not a ${p.dialect} credential (a ${p.dialect} partner has ${d.keyId} and ${d.secret})`,
        });
      }
    }
    if (p.scheme !== undefined && !d.schemes.includes(p.scheme)) {
      problems.push({
        path: at('scheme'),
        message: `scheme "${p.scheme}" is not a ${p.dialect} scheme (${d.schemes.join(', ')})`,
      });
    }
    const keyId = field(p, d.keyId);
    if (keyId !== undefined) {
      const seen = `${p.dialect}\0${keyId}`;
      const first = firstByKey.get(seen);
      if (first !== undefined) {
        problems.push({
          path: at(d.keyId),
          message: `${d.keyId} "${keyId}" is already used by /partners/${first} (${p.dialect})`,
        });
      } else firstByKey.set(seen, i);
    }
  });
  return problems;
}

function field(p: PartnerConfig, key: string): unknown {
  return (p as unknown as Record<string, unknown>)[key];
}
