/**
 * The dialect registry: the built-in dialects (one folder each, listed once in `builtinDescriptors`)
 * plus any registered at runtime with `registerDialect` (a dialect living outside src/, such as
 * the fourth dialect of test/dialect4). The configuration schema and rules, the runtime, the
 * passthrough and the sandbox all find dialects, schemes and credential keys here.
 */
import type { Dialect, DialectDescriptor, SignatureScheme } from './types';
import { descriptor as dianping } from './dianping';
import { descriptor as pyun } from './pyun';
import { descriptor as tencent } from './tencent';

export const builtinDescriptors = [pyun, tencent, dianping] as const;

/** Dialects registered at runtime, after the built-in ones. */
const registered = new Map<string, DialectDescriptor>();

/** Every known dialect: the built-in ones first, then the registered ones in registration order. */
export function dialectDescriptors(): DialectDescriptor[] {
  return [...builtinDescriptors, ...registered.values()];
}

export function findDescriptor(name: string): DialectDescriptor | undefined {
  return dialectDescriptors().find((d) => d.dialect.name === name);
}

export function knownDialectNames(): string[] {
  return dialectDescriptors().map((d) => d.dialect.name);
}

export function getDialect(name: string): Dialect {
  const d = findDescriptor(name);
  if (!d) {
    throw new Error(
      `unknown dialect ${JSON.stringify(name)}; known dialects: ${knownDialectNames().join(', ')}`,
    );
  }
  return d.dialect;
}

/** Every scheme of every known dialect, by name. */
export function allSchemes(): Map<string, SignatureScheme> {
  return new Map(dialectDescriptors().flatMap((d) => d.schemes.map((s) => [s.name, s] as const)));
}

/**
 * Adds a dialect; returns the function that removes it again. Refused: a name or a scheme name
 * already known, or a default scheme that is not one of the dialect's schemes.
 */
export function registerDialect(descriptor: DialectDescriptor): () => void {
  const { name, defaultScheme } = descriptor.dialect;
  if (!/^[a-z][a-z0-9_-]*$/.test(name))
    throw new Error(`dialect name ${JSON.stringify(name)} is not a-z0-9_-`);
  if (findDescriptor(name)) throw new Error(`dialect ${name} is already registered`);
  const known = allSchemes();
  for (const s of descriptor.schemes) {
    if (known.has(s.name))
      throw new Error(`dialect ${name}: scheme ${s.name} already belongs to another dialect`);
  }
  if (!descriptor.schemes.some((s) => s.name === defaultScheme)) {
    throw new Error(`dialect ${name}: default scheme ${defaultScheme} is not one of its schemes`);
  }
  registered.set(name, descriptor);
  return () => {
    if (registered.get(name) === descriptor) registered.delete(name);
  };
}
