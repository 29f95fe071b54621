/**
 * The schema registry: every *.schema.json under schemas/ (recursively: the dialect message
 * schemas and whatever else lives there, such as mapping/ and config/) is read once, added to two
 * ajv instances (draft 2020-12, ajv-formats, allErrors, strict) and compiled at load, so a broken
 * schema fails at startup naming its file. The second instance has coerceTypes: form and query
 * messages carry every value as a string, and coercion rewrites them in place ("1" → 1), which is
 * what the form pipeline wants. ajv treats contentMediaType/contentSchema as annotations only, so
 * validate() also decodes each top-level JSON-string field and validates the decoded value.
 * A schema without $id gets its path under schemas/ without ".schema.json" as id.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { projectRoot } from '../util/paths';
import { toDiagnostics, escapePointerSegment, type Diagnostic } from './diagnostics';
import { childPointer, expand, isNode, refTo, type Located, type Lookup, type SchemaNode } from './navigate';

export { formatDiagnostics, type Diagnostic } from './diagnostics';

export interface SchemaRegistry {
  ids(): string[];
  has(id: string): boolean;
  schema(id: string): Record<string, unknown>;
  /** [] = valid; an unknown id throws. `coerce` converts form strings in place ("1" → 1). */
  validate(id: string, data: unknown, opts?: { coerce?: boolean }): Diagnostic[];
  /**
   * True when the dotted path (e.g. "fixed_normal_coupon.coupon_amount", "coupons.0.coupon_id" or
   * "coupons[].coupon_id") exists as a property in the schema (following $ref, allOf, anyOf/oneOf,
   * if/then/else, items, contentSchema; map values declared by an additionalProperties schema count).
   */
  hasPath(id: string, path: string): boolean;
  /** Top-level required property names (following $ref/allOf). */
  required(id: string): string[];
  /** Top-level property names (following $ref/allOf). */
  properties(id: string): string[];
}

/** A top-level JSON-string field: validate its decoded value with the validator at `ref`. */
interface ContentField {
  name: string;
  /** Decode only values matching this (an `if: {pattern}` guard around the contentSchema). */
  when?: RegExp;
  ref: string;
}

const JSON_MEDIA = 'application/json';
const SHAPE = ['allOf'];
const PATH_APPLICATORS = ['allOf', 'anyOf', 'oneOf', 'then', 'else', 'contentSchema'];

export function listSchemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listSchemaFiles(p));
    else if (name.endsWith('.schema.json')) out.push(p);
  }
  return out;
}

function newAjv(coerce: boolean): Ajv2020 {
  // strictRequired is off: ajv compiles applicators (if/then, anyOf) before `properties`, so a
  // `required` inside them cannot see the parent's properties; test/schema checks names instead.
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
    coerceTypes: coerce,
  });
  addFormats(ajv);
  return ajv;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function readSchema(file: string): SchemaNode {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isNode(parsed)) throw new Error(`${file}: a schema file must hold a JSON object`);
  return deepFreeze(parsed);
}

function pathSteps(path: string): Array<{ key: string } | { item: number | undefined }> | undefined {
  const steps: Array<{ key: string } | { item: number | undefined }> = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d*\])*)$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) return undefined;
    if (m[1] !== '') steps.push({ key: m[1] });
    for (const b of m[2].match(/\[\d*\]/g) ?? []) {
      steps.push({ item: b.length > 2 ? Number(b.slice(1, -1)) : undefined });
    }
  }
  return steps;
}

function itemsOf(locs: Located[], index: number | undefined): Located[] {
  const out: Located[] = [];
  for (const { node, doc, pointer } of locs) {
    const prefix = node.prefixItems;
    if (Array.isArray(prefix)) {
      prefix.forEach((n, i) => {
        if (isNode(n) && (index === undefined || index === i)) {
          out.push({ node: n, doc, pointer: childPointer(pointer, 'prefixItems', i) });
        }
      });
    }
    if (isNode(node.items)) out.push({ node: node.items, doc, pointer: childPointer(pointer, 'items') });
  }
  return out;
}

function propertyOf(locs: Located[], name: string): Located[] {
  const out: Located[] = [];
  for (const { node, doc, pointer } of locs) {
    const declared = isNode(node.properties) ? node.properties[name] : undefined;
    if (isNode(declared)) {
      out.push({ node: declared, doc, pointer: childPointer(pointer, 'properties', name) });
      continue;
    }
    let matched = false;
    if (isNode(node.patternProperties)) {
      for (const [pattern, sub] of Object.entries(node.patternProperties)) {
        if (isNode(sub) && new RegExp(pattern, 'u').test(name)) {
          out.push({ node: sub, doc, pointer: childPointer(pointer, 'patternProperties', pattern) });
          matched = true;
        }
      }
    }
    if (!matched && isNode(node.additionalProperties)) {
      out.push({
        node: node.additionalProperties,
        doc,
        pointer: childPointer(pointer, 'additionalProperties'),
      });
    }
  }
  return out;
}

/** The shipped schemas/ directory. */
export function defaultSchemaDir(): string {
  return join(projectRoot(), 'schemas');
}

/**
 * Every schema under `dirs` (default: schemas/). More directories add schemas beside the shipped
 * ones, e.g. those of a dialect that lives outside src/ (`[defaultSchemaDir(), itsDir]`); an id
 * given twice, in one directory or across them, is refused.
 */
export function loadSchemaRegistry(dirs: string | readonly string[] = defaultSchemaDir()): SchemaRegistry {
  const docs = new Map<string, { schema: SchemaNode; file: string }>();
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    for (const file of listSchemaFiles(dir)) {
      const schema = readSchema(file);
      const id =
        typeof schema.$id === 'string'
          ? schema.$id
          : relative(dir, file)
              .split(sep)
              .join('/')
              .replace(/\.schema\.json$/, '');
      const prev = docs.get(id);
      if (prev) throw new Error(`${file}: schema id "${id}" already used by ${prev.file}`);
      docs.set(id, { schema, file });
    }
  }
  const plain = newAjv(false);
  const coercing = newAjv(true);
  for (const [id, { schema, file }] of docs) {
    const key = typeof schema.$id === 'string' ? undefined : id;
    try {
      plain.addSchema(schema, key);
      coercing.addSchema(schema, key);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }

  const lookup: Lookup = (id) => docs.get(id)?.schema;
  const validators = new Map<string, ValidateFunction>();
  const contentFields = new Map<string, ContentField[]>();

  function known(id: string): SchemaNode {
    const d = docs.get(id);
    if (!d) throw new Error(`unknown schema id "${id}"`);
    return d.schema;
  }

  function validator(ref: string, coerce: boolean): ValidateFunction {
    const key = `${coerce ? 'coerce' : 'plain'} ${ref}`;
    let v = validators.get(key);
    if (!v) {
      v = (coerce ? coercing : plain).getSchema(ref);
      if (!v) throw new Error(`schema "${ref}" cannot be resolved`);
      validators.set(key, v);
    }
    return v;
  }

  function topLevel(id: string): Located[] {
    return expand({ node: known(id), doc: id, pointer: '' }, lookup, SHAPE);
  }

  function contentFieldsOf(id: string): ContentField[] {
    let fields = contentFields.get(id);
    if (fields) return fields;
    fields = [];
    const named = new Set<string>();
    for (const loc of topLevel(id)) {
      if (!isNode(loc.node.properties)) continue;
      for (const [name, prop] of Object.entries(loc.node.properties)) {
        if (named.has(name) || !isNode(prop)) continue;
        const start = { node: prop, doc: loc.doc, pointer: childPointer(loc.pointer, 'properties', name) };
        for (const p of expand(start, lookup, SHAPE)) {
          const guard = p.node.if;
          const then = p.node.then;
          if (p.node.contentMediaType === JSON_MEDIA && isNode(p.node.contentSchema)) {
            fields.push({ name, ref: refTo(p.doc, childPointer(p.pointer, 'contentSchema')) });
          } else if (isNode(guard) && typeof guard.pattern === 'string' && isNode(then)) {
            if (then.contentMediaType !== JSON_MEDIA || !isNode(then.contentSchema)) continue;
            const ref = refTo(p.doc, childPointer(p.pointer, 'then', 'contentSchema'));
            fields.push({ name, when: new RegExp(guard.pattern, 'u'), ref });
          } else {
            continue;
          }
          named.add(name);
          break;
        }
      }
    }
    contentFields.set(id, fields);
    return fields;
  }

  for (const [id, { file }] of docs) {
    try {
      validator(id, false);
      for (const f of contentFieldsOf(id)) validator(f.ref, false);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }

  function unionOf(id: string, pick: (node: SchemaNode) => string[]): string[] {
    const names = new Set<string>();
    for (const loc of topLevel(id)) for (const n of pick(loc.node)) names.add(n);
    return [...names];
  }

  return {
    ids: () => [...docs.keys()].sort(),
    has: (id) => docs.has(id),
    schema: (id) => known(id),

    validate(id, data, opts) {
      known(id);
      const coerce = opts?.coerce === true;
      const v = validator(id, coerce);
      const out = v(data) ? [] : toDiagnostics(v.errors ?? []);
      if (!isNode(data)) return out;
      for (const f of contentFieldsOf(id)) {
        const raw = data[f.name];
        if (typeof raw !== 'string' || (f.when && !f.when.test(raw))) continue;
        const path = `/${escapePointerSegment(f.name)}`;
        let decoded: unknown;
        try {
          decoded = JSON.parse(raw);
        } catch {
          out.push({
            path,
            rule: 'contentMediaType',
            message: 'must be a valid JSON text (application/json)',
          });
          continue;
        }
        // Decoded content follows the same coercion mode as the message it travels in.
        const cv = validator(f.ref, coerce);
        if (!cv(decoded)) out.push(...toDiagnostics(cv.errors ?? [], `${path} (decoded)`));
      }
      return out;
    },

    hasPath(id, path) {
      const steps = pathSteps(path);
      if (!steps) return false;
      let locs = topLevel(id).flatMap((l) => expand(l, lookup, PATH_APPLICATORS));
      for (const step of steps) {
        let next: Located[];
        if ('key' in step) {
          next = propertyOf(locs, step.key);
          if (next.length === 0 && /^\d+$/.test(step.key)) next = itemsOf(locs, Number(step.key));
        } else {
          next = itemsOf(locs, step.item);
        }
        locs = next.flatMap((l) => expand(l, lookup, PATH_APPLICATORS));
        if (locs.length === 0) return false;
      }
      return true;
    },

    required: (id) => unionOf(id, (n) => (Array.isArray(n.required) ? n.required.map(String) : [])),
    properties: (id) => unionOf(id, (n) => (isNode(n.properties) ? Object.keys(n.properties) : [])),
  };
}
