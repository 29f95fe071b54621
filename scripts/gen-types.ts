/**
 * `npm run gen:types`: writes one TypeScript file per message schema
 * (schemas/<dialect>/<message>.<request|response>.schema.json → src/generated/<dialect>/<message>.<…>.ts)
 * plus src/generated/index.ts, with json-schema-to-typescript. Before compiling, each schema is
 * prepared for typing only: $refs are inlined from the registry, top-level allOf members (the
 * dialect's common parameters) are merged into one interface, and validation-only keywords are
 * dropped — contentSchema (a JSON-string field stays `string`), if/then/else, and anyOf/oneOf
 * whose branches only list `required`. Codegen runs with additionalProperties: false, so a type
 * names only the documented fields even where the schema lets extra fields through at run time
 * (an index signature would let typos pass). Output is deterministic: sorted files, fixed prettier
 * style, no timestamps. test/schema/generated-fresh.test.ts compares it with the committed files.
 * schemas/mapping, schemas/config and the common/defs helpers are not messages and are skipped.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { projectRoot } from '../src/util/paths';
import { listSchemaFiles, loadSchemaRegistry } from '../src/schema/registry';
import { isNode, nodeAt, resolveRef, type SchemaNode } from '../src/schema/navigate';

const MESSAGE_FILE = /^(?!common\.)[a-z0-9-]+\.(request|response)\.schema\.json$/;
const NOT_DIALECTS = new Set(['mapping', 'config']);
const DROPPED = new Set([
  '$schema',
  '$id',
  '$defs',
  '$comment',
  'contentMediaType',
  'contentSchema',
  'if',
  'then',
  'else',
]);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const STYLE = { singleQuote: true, printWidth: 110, trailingComma: 'all' as const };

type Lookup = (id: string) => SchemaNode;

function onlyRequired(branches: unknown): boolean {
  return (
    Array.isArray(branches) &&
    branches.every((b) => isNode(b) && Object.keys(b).every((k) => k === 'required'))
  );
}

/** A copy of node for typing: $refs inlined (siblings such as description win), noise dropped. */
function prepare(node: unknown, doc: string, lookup: Lookup, trail: string[]): unknown {
  if (Array.isArray(node)) return node.map((n) => prepare(n, doc, lookup, trail));
  if (!isNode(node)) return node;
  let out: SchemaNode = {};
  if (typeof node.$ref === 'string') {
    const target = resolveRef(node.$ref, doc);
    const key = `${target.doc}#${target.pointer}`;
    if (trail.includes(key)) throw new Error(`recursive $ref ${key} cannot be inlined`);
    const resolved = nodeAt(lookup(target.doc), target.pointer);
    if (!resolved) throw new Error(`${doc}: $ref ${node.$ref} does not resolve`);
    out = prepare(resolved, target.doc, lookup, [...trail, key]) as SchemaNode;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' || DROPPED.has(k)) continue;
    if ((k === 'anyOf' || k === 'oneOf') && onlyRequired(v)) continue;
    if (k === 'enum' || k === 'const' || k === 'examples' || k === 'default') out[k] = v;
    else if (SCHEMA_MAPS.has(k) && isNode(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, prepare(s, doc, lookup, trail)]));
    } else out[k] = prepare(v, doc, lookup, trail);
  }
  return mergeAllOf(out);
}

/** Folds allOf members that only add properties/required into node (node's own properties win). */
function mergeAllOf(node: SchemaNode): SchemaNode {
  if (!Array.isArray(node.allOf)) return node;
  const mergeable = (m: unknown): m is SchemaNode =>
    isNode(m) &&
    Object.keys(m).every((k) => ['type', 'properties', 'required', 'description', 'title'].includes(k));
  if (!node.allOf.every(mergeable)) return node;
  const members = node.allOf as SchemaNode[];
  const { allOf: _allOf, ...rest } = node;
  const properties: SchemaNode = {};
  const required = new Set<string>();
  for (const m of [...members, rest]) {
    Object.assign(properties, isNode(m.properties) ? m.properties : {});
    for (const r of Array.isArray(m.required) ? m.required : []) required.add(String(r));
  }
  return { ...rest, type: 'object', properties, required: [...required] };
}

function isMessageFile(schemasDir: string, file: string): boolean {
  const parts = relative(schemasDir, file).split(sep);
  return parts.length === 2 && !NOT_DIALECTS.has(parts[0]) && MESSAGE_FILE.test(parts[1]);
}

/** Generated path (relative to the project, '/'-separated) → file content. */
export async function generateTypes(): Promise<Map<string, string>> {
  const root = projectRoot();
  const schemasDir = join(root, 'schemas');
  const registry = loadSchemaRegistry(schemasDir);
  const lookup: Lookup = (id) => registry.schema(id);
  const out = new Map<string, string>();
  const exports: string[] = [];
  for (const file of listSchemaFiles(schemasDir).filter((f) => isMessageFile(schemasDir, f))) {
    const source = relative(root, file).split(sep).join('/');
    const id = (JSON.parse(readFileSync(file, 'utf8')) as SchemaNode).$id;
    const expected = source.replace(/^schemas\//, '').replace(/\.schema\.json$/, '');
    if (id !== expected) throw new Error(`${source}: $id must be "${expected}"`);
    const schema = prepare(registry.schema(id), id, lookup, []) as SchemaNode;
    if (typeof schema.title !== 'string') throw new Error(`${source}: a message schema needs a title`);
    const ts = await compile(schema as JSONSchema, schema.title, {
      bannerComment: `/* DO NOT EDIT — generated from ${source} by npm run gen:types */`,
      additionalProperties: false,
      unreachableDefinitions: false,
      strictIndexSignatures: true,
      ignoreMinAndMaxItems: true,
      format: true,
      style: STYLE,
    });
    out.set(`src/generated/${id}.ts`, ts);
    exports.push(`export type { ${schema.title} } from './${id}';`);
  }
  const index = [
    '/* DO NOT EDIT — generated from schemas/<dialect>/*.schema.json by npm run gen:types */',
    '',
    ...exports,
    '',
  ].join('\n');
  out.set('src/generated/index.ts', index);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function listFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) =>
    statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n)) : [join(dir, n)],
  );
}

async function main(): Promise<void> {
  const root = projectRoot();
  const files = await generateTypes();
  for (const stale of listFiles(join(root, 'src', 'generated'))) {
    if (!files.has(relative(root, stale).split(sep).join('/'))) rmSync(stale);
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  console.log(`wrote ${files.size} files under src/generated/`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
