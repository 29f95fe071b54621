/**
 * Loads couponbridge.yaml: YAML with positions → merged over couponbridge.default.yaml (maps key
 * by key, lists replace; an optional section's defaults apply only when the file declares it) →
 * ${ENV} interpolation → --host/--port overrides → JSON Schema (ajv, unknown keys rejected) →
 * cross-field rules → relative paths resolved against the file's directory. Every problem is
 * collected and thrown at once as a ConfigError, one `file:line: /path: message` per line.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { dialectDescriptors } from '../dialects';
import type { DialectDescriptor } from '../dialects/types';
import { projectRoot } from '../util/paths';
import { interpolate, isPlainObject, usesEnv, type PathProblem } from './interpolate';
import { crossFieldProblems, dialectKeys, type DialectKeys } from './rules';
import { buildConfigSchema, type SchemaNode } from './schema';
import { locate, parsePointer, parseSource, pointer, type SourceFile } from './source';
import type { Config, LoadedConfig, StoreSettings } from './types';

export type { Config, LoadedConfig } from './types';
export { dialectKeys, type DialectKeys } from './rules';
export { buildConfigSchema, configSchemaFile } from './schema';

export const defaultsFile = join(projectRoot(), 'couponbridge.default.yaml');

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ParseOptions {
  overrides?: { host?: string; port?: number };
  /** Directory relative paths resolve against; default: the directory of fileName. */
  baseDir?: string;
  /** Known dialects and their credential keys for the cross-field rules; default: the dialect registry's. */
  dialects?: Readonly<Record<string, DialectKeys>>;
}

export interface LoadOptions extends Omit<ParseOptions, 'baseDir'> {
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(file: string, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: cannot read: ${(e as Error).message}`]);
  }
  const { env = process.env, ...rest } = opts;
  return parseConfig(text, file, env, rest);
}

export function parseConfig(
  text: string,
  fileName: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: ParseOptions = {},
): LoadedConfig {
  const user = parseSource(text, fileName);
  if (user.syntaxErrors.length > 0) throw new ConfigError(user.syntaxErrors);
  const descriptors = dialectDescriptors();
  const { schema, validate, defaults } = compiled(descriptors);
  const where = (p: PathProblem): string =>
    `${position([user, defaults], p.path)}: ${pointer(p.path)}: ${p.message}`;

  const warnings = secretValues(user.data)
    .filter(([, value]) => !usesEnv(value))
    .map(([path]) => where({ path, message: 'secret written literally in the file; use ${ENV_VAR}' }));
  const envProblems: PathProblem[] = [];
  const merged = interpolate(mergeDefaults(defaults.data, user.data, schema), env, envProblems);

  if (isPlainObject(merged) && isPlainObject(merged.server)) {
    if (opts.overrides?.host !== undefined) merged.server.host = opts.overrides.host;
    if (opts.overrides?.port !== undefined) merged.server.port = opts.overrides.port;
  }
  const valid = validate(merged);
  const unset = new Set(envProblems.map((p) => pointer(p.path)));
  const problems = [
    ...envProblems,
    // a value emptied by a missing variable would only repeat that problem
    ...[
      ...(validate.errors ?? []).map(schemaProblem),
      ...crossFieldProblems(merged as Config, opts.dialects ?? dialectKeys(descriptors)),
    ].filter((p) => !unset.has(pointer(p.path))),
  ];
  if (!valid || problems.length > 0) throw new ConfigError(unique(problems.map(where)));

  const config = merged as Config & { $schema?: string };
  delete config.$schema;

  const baseDir = opts.baseDir ?? dirname(resolve(fileName));
  config.mappings = resolve(baseDir, config.mappings);
  const { url, ...settings } = storeForm(merged);
  config.store = resolveStore(url, baseDir);
  config.store_settings = { migrate: 'auto', ...settings };
  for (const d of descriptors) {
    const section = config.upstreams[d.dialect.name];
    if (!section || !d.upstream?.warnings) continue;
    for (const message of d.upstream.warnings(section)) {
      warnings.push(where({ path: ['upstreams', d.dialect.name], message }));
    }
  }
  return { ...config, warnings };
}

/** Every secret value of a loaded config, for log redaction (the console token included). */
export function collectSecrets(config: Config): string[] {
  const values = [...secretValues(config).map(([, value]) => value), config.console?.token ?? ''];
  return unique(values).filter((v) => v !== '');
}

/** Path and value of every string under a key ending in "secret" or in a `secrets` list, at any depth. */
function secretValues(v: unknown, path: string[] = []): Array<[string[], string]> {
  if (typeof v === 'string') {
    const key = path[path.length - 1] ?? '';
    const parent = path[path.length - 2] ?? '';
    return /secret$/i.test(key) || (/secrets$/i.test(parent) && /^\d+$/.test(key)) ? [[path, v]] : [];
  }
  if (Array.isArray(v)) return v.flatMap((x, i) => secretValues(x, [...path, String(i)]));
  if (isPlainObject(v)) return Object.entries(v).flatMap(([k, x]) => secretValues(x, [...path, k]));
  return [];
}

interface Compiled {
  schema: SchemaNode;
  validate: ValidateFunction;
  defaults: SourceFile;
}

let cache: { descriptors: DialectDescriptor[]; compiled: Compiled } | undefined;

/**
 * The schema is built and compiled, and the defaults file read, once per set of known dialects
 * (once per process unless a dialect is registered later).
 */
function compiled(descriptors: DialectDescriptor[]): Compiled {
  const same =
    cache?.descriptors.length === descriptors.length &&
    cache.descriptors.every((d, i) => d === descriptors[i]);
  if (cache && same) return cache.compiled;
  const schema = buildConfigSchema(descriptors);
  const ajv = new Ajv2020({ allErrors: true, coerceTypes: true, strict: true, verbose: true });
  addFormats(ajv);
  const defaults = parseSource(readFileSync(defaultsFile, 'utf8'), 'couponbridge.default.yaml');
  if (defaults.syntaxErrors.length > 0) throw new ConfigError(defaults.syntaxErrors);
  addUpstreamDefaults(defaults.data, descriptors);
  cache = { descriptors, compiled: { schema, validate: ajv.compile(schema), defaults } };
  return cache.compiled;
}

/** A dialect outside src/ brings the defaults of its upstream section (the defaults file has none). */
function addUpstreamDefaults(data: unknown, descriptors: DialectDescriptor[]): void {
  if (!isPlainObject(data)) return;
  const upstreams = isPlainObject(data.upstreams) ? data.upstreams : (data.upstreams = {});
  for (const d of descriptors) {
    const own = d.upstream?.defaults;
    if (own && !(d.dialect.name in upstreams)) upstreams[d.dialect.name] = structuredClone(own);
  }
}

/**
 * Defaults under user values. A defaults map that the schema marks optional (not `required` in
 * its parent, e.g. upstreams.tencent) only fills in a section the user declared.
 */
function mergeDefaults(defaults: unknown, user: unknown, schema: SchemaNode | undefined): unknown {
  if (!isPlainObject(defaults) || !isPlainObject(user)) return user === undefined ? defaults : user;
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(defaults)) {
    const optionalSection = isPlainObject(d) && !(schema?.required ?? []).includes(k);
    if (k in user || !optionalSection) out[k] = mergeDefaults(d, user[k], schema?.properties?.[k]);
  }
  for (const [k, u] of Object.entries(user)) if (!(k in defaults)) out[k] = u;
  return out;
}

function schemaProblem(e: ErrorObject): PathProblem {
  const path = parsePointer(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(e.params.missingProperty)], message: 'required key is missing' };
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {});
      return {
        path: [...path, String(e.params.additionalProperty)],
        message: `unknown key "${e.params.additionalProperty}" (allowed: ${allowed.join(', ')})`,
      };
    }
    case 'minLength':
      // a short secret is named by its length only: the value must not reach the output
      return typeof e.data === 'string' && secretValues(e.data, path).length > 0
        ? {
            path,
            message: `secret too short: ${e.data.length} characters, at least ${String(e.params.limit)} required`,
          }
        : { path, message: e.message ?? e.keyword };
    case 'enum':
      return { path, message: `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** `file:line` of a path: the user's file when the value is there, else the defaults file. */
function position(sources: [SourceFile, SourceFile], path: string[]): string {
  const [user, defaults] = sources;
  const inUser = locate(user, path);
  if (!inUser.exact) {
    const inDefaults = locate(defaults, path);
    if (inDefaults.exact) return `${defaults.fileName}:${inDefaults.line ?? 1}`;
  }
  return `${user.fileName}:${inUser.line ?? 1}`;
}

/** `store: URL` or `store: { url, migrate, pool_max }` (the schema allowed only these two). */
function storeForm(merged: unknown): { url: string } & Partial<StoreSettings> {
  const store = (merged as { store: string | ({ url: string } & Partial<StoreSettings>) }).store;
  return typeof store === 'string' ? { url: store } : store;
}

function resolveStore(store: string, baseDir: string): string {
  if (!store.startsWith('sqlite:')) return store;
  const file = store.slice('sqlite:'.length);
  return file === ':memory:' || isAbsolute(file) ? store : `sqlite:${resolve(baseDir, file)}`;
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}
