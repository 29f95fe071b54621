/**
 * `npm run gen:docs`: writes docs/messages/ from the message schemas — one Markdown page per
 * message (schemas/<dialect>/<message>.<request|response>.schema.json → docs/messages/<dialect>/
 * <message>.<request|response>.md) with a table of its fields (type, required, limits, the seed's
 * description), nested fields and the decoded content of JSON-string fields included as dotted
 * paths, plus docs/messages/README.md, the index. Output is deterministic (sorted, no dates);
 * test/openapi/message-docs-fresh.test.ts compares it with the committed files.
 * The common/defs helpers are not messages: their fields appear in the pages of the messages using them.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { projectRoot } from '../src/util/paths';
import { listSchemaFiles, loadSchemaRegistry, type SchemaRegistry } from '../src/schema/registry';
import { isNode, type SchemaNode } from '../src/schema/navigate';
import { deref, topFields } from '../src/openapi/schemas';

const MESSAGE_FILE = /^(?!common\.)[a-z0-9-]+\.(request|response)\.schema\.json$/;
const NOT_DIALECTS = new Set(['mapping', 'config', 'outbox']);
const OUT_DIR = 'docs/messages';
const MAX_DEPTH = 4;

interface Row {
  field: string;
  type: string;
  required: boolean;
  limits: string;
  description: string;
}

/** Text safe inside a Markdown table cell (GitHub reads `\\|` as a pipe, in code spans too). */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim();
}

function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function code(v: unknown): string {
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

function typeOf(registry: SchemaRegistry, node: SchemaNode, doc: string): string {
  if (node.const !== undefined) return typeof node.const;
  if (Array.isArray(node.type)) return node.type.join(' or ');
  if (typeof node.type === 'string') return node.type;
  if (Array.isArray(node.enum))
    return [...new Set(node.enum.map((v) => (v === null ? 'null' : typeof v)))].join(' or ');
  for (const k of ['anyOf', 'oneOf']) {
    const branches = node[k];
    if (Array.isArray(branches)) {
      const types = branches.filter(isNode).map((b) => {
        const d = deref(registry, b, doc);
        return typeOf(registry, d.node, d.doc);
      });
      return [...new Set(types)].join(' or ');
    }
  }
  return 'any';
}

function limitsOf(node: SchemaNode): string {
  const out: string[] = [];
  if (node.const !== undefined) out.push(`always ${code(node.const)}`);
  if (Array.isArray(node.enum)) out.push(`one of ${node.enum.map(code).join(', ')}`);
  const range = (min: string, max: string, unit: string): void => {
    const lo = node[min];
    const hi = node[max];
    if (typeof lo === 'number' && typeof hi === 'number')
      out.push(lo === hi ? `exactly ${count(lo, unit)}` : `${lo}–${count(hi, unit)}`);
    else if (typeof lo === 'number') out.push(`at least ${count(lo, unit)}`);
    else if (typeof hi === 'number') out.push(`at most ${count(hi, unit)}`);
  };
  range('minLength', 'maxLength', 'character');
  range('minItems', 'maxItems', 'item');
  const numeric = (key: string, word: string): void => {
    if (typeof node[key] === 'number') out.push(`${word} ${String(node[key])}`);
  };
  numeric('minimum', '≥');
  numeric('exclusiveMinimum', '>');
  numeric('maximum', '≤');
  numeric('exclusiveMaximum', '<');
  if (typeof node.pattern === 'string') out.push(`pattern ${code(node.pattern)}`);
  if (typeof node.format === 'string') out.push(`format ${node.format}`);
  if (typeof node.contentMediaType === 'string') out.push(`text holding ${node.contentMediaType}`);
  return out.join('; ');
}

/** The rows of one field and of what it contains (object properties, array items, JSON-string content). */
function rows(
  registry: SchemaRegistry,
  name: string,
  raw: SchemaNode,
  doc: string,
  required: boolean,
  depth: number,
): Row[] {
  const { node, doc: at } = deref(registry, raw, doc);
  const out: Row[] = [
    {
      field: name,
      type: typeOf(registry, node, at),
      required,
      limits: limitsOf(node),
      description: typeof node.description === 'string' ? node.description : '',
    },
  ];
  if (depth >= MAX_DEPTH) return out;
  const content = isNode(node.contentSchema) ? deref(registry, node.contentSchema, at) : undefined;
  const inner = content ?? { node, doc: at };
  const prefix = content ? `${name} (decoded)` : name;
  const items = isNode(inner.node.items) ? deref(registry, inner.node.items, inner.doc) : undefined;
  const holder = items ?? inner;
  const childPrefix = items ? `${prefix}[]` : prefix;
  if (content && (items || isNode(holder.node.properties))) {
    out.push({
      field: content ? prefix : name,
      type: typeOf(registry, inner.node, inner.doc),
      required,
      limits: limitsOf(inner.node),
      description: 'the JSON the text holds',
    });
  }
  const props = holder.node.properties;
  if (isNode(props)) {
    const req = new Set(Array.isArray(holder.node.required) ? (holder.node.required as string[]) : []);
    for (const [child, p] of Object.entries(props)) {
      if (isNode(p))
        out.push(...rows(registry, `${childPrefix}.${child}`, p, holder.doc, req.has(child), depth + 1));
    }
  }
  return out;
}

function messagePage(registry: SchemaRegistry, id: string, file: string): string {
  const schema = registry.schema(id);
  const title = typeof schema.title === 'string' ? schema.title : id;
  const lines = [
    `<!-- DO NOT EDIT — generated from ${file} by npm run gen:docs -->`,
    '',
    `# ${title}`,
    '',
    `Schema \`${id}\` ([${file}](../../../${file})).`,
    '',
  ];
  if (typeof schema.description === 'string') lines.push(schema.description, '');
  if (typeof schema.$comment === 'string') lines.push(`> ${schema.$comment}`, '');
  lines.push('| Field | Type | Required | Limits | Description |', '| --- | --- | --- | --- | --- |');
  for (const f of topFields(registry, id)) {
    for (const r of rows(registry, f.name, f.node, f.doc, f.required, 0)) {
      lines.push(
        `| \`${cell(r.field)}\` | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${cell(r.limits)} | ${cell(r.description)} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** Every generated file (path relative to the project root → content). */
export function generateMessageDocs(): Map<string, string> {
  const root = projectRoot();
  const registry = loadSchemaRegistry();
  const out = new Map<string, string>();
  const index: string[] = [
    '<!-- DO NOT EDIT — generated from schemas/<dialect>/ by npm run gen:docs -->',
    '',
    '# Message reference',
    '',
    'One page per message couponbridge receives, sends or answers, generated from the JSON Schemas in',
    '`schemas/` (field, type, required, limits and the platform documentation’s description). The',
    'dialect’s common parameters (key id, timestamp, nonce, signature) are listed in each page.',
    'couponbridge’s inbound API as a whole: `couponbridge openapi` or `GET /openapi.json`.',
    '',
  ];
  const byDialect = new Map<string, string[]>();
  for (const abs of listSchemaFiles(join(root, 'schemas'))) {
    const file = relative(root, abs).split(sep).join('/');
    const [, dir, name] = file.split('/');
    if (NOT_DIALECTS.has(dir) || !MESSAGE_FILE.test(name ?? '')) continue;
    const id = `${dir}/${name.replace(/\.schema\.json$/, '')}`;
    out.set(`${OUT_DIR}/${id}.md`, messagePage(registry, id, file));
    const schema = registry.schema(id);
    const title = typeof schema.title === 'string' ? schema.title : id;
    // the description's first sentence
    const summary =
      typeof schema.description === 'string' ? ` — ${cell(schema.description.split(/(?<=\.)\s/)[0])}` : '';
    const entries = byDialect.get(dir) ?? [];
    entries.push(`- [${title}](${id}.md) \`${id}\`${summary}`);
    byDialect.set(dir, entries);
  }
  for (const [dir, entries] of byDialect) index.push(`## ${dir}`, '', ...entries, '');
  const text = index.join('\n');
  out.set(`${OUT_DIR}/README.md`, text);
  return out;
}

function committed(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? committed(p) : [p];
  });
}

function main(): void {
  const root = projectRoot();
  const fresh = generateMessageDocs();
  for (const stale of committed(join(root, OUT_DIR))) {
    if (!fresh.has(relative(root, stale).split(sep).join('/'))) rmSync(stale);
  }
  for (const [path, content] of fresh) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  process.stdout.write(`wrote ${fresh.size} files under ${OUT_DIR}/\n`);
}

if (require.main === module) main();
