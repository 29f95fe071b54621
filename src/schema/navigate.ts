/**
 * Reads raw schema documents the way the registry's structural questions need (hasPath, required,
 * properties, where the JSON-string fields are): $ref is resolved against the document's $id
 * (relative ids such as `common.request` or `defs#/$defs/fen`), and chosen applicators are expanded
 * into the list of schema objects that together describe one value. Works on the JSON itself, not
 * on ajv's generated code. Plain-name anchors (`#foo`) and nested $id are not used by the message
 * schemas and are not supported.
 */
export type SchemaNode = Record<string, unknown>;

/** A schema object with where it lives: `doc` is its document's $id, `pointer` a JSON pointer. */
export interface Located {
  node: SchemaNode;
  doc: string;
  pointer: string;
}

export type Lookup = (id: string) => SchemaNode | undefined;

const LOCAL_BASE = 'cb-schema:/';
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

export function isNode(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapeSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeSegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function childPointer(pointer: string, ...segments: Array<string | number>): string {
  return pointer + segments.map((s) => `/${escapeSegment(String(s))}`).join('');
}

/** `doc#pointer` in the form ajv's getSchema accepts (segments URI-encoded). */
export function refTo(doc: string, pointer: string): string {
  const frag = pointer
    .split('/')
    .slice(1)
    .map((s) => `/${encodeURIComponent(s)}`)
    .join('');
  return `${doc}#${frag}`;
}

export function resolveRef(ref: string, doc: string): { doc: string; pointer: string } {
  const base = HAS_SCHEME.test(doc) ? doc : LOCAL_BASE + doc;
  const url = new URL(ref, base);
  const pointer = decodeURIComponent(url.hash.slice(1));
  url.hash = '';
  const href = url.href;
  return { doc: href.startsWith(LOCAL_BASE) ? href.slice(LOCAL_BASE.length) : href, pointer };
}

export function nodeAt(root: SchemaNode, pointer: string): SchemaNode | undefined {
  let cur: unknown = root;
  for (const seg of pointer.split('/').slice(1)) {
    if (!isNode(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[unescapeSegment(seg)];
  }
  return isNode(cur) ? cur : undefined;
}

/** The target of loc's $ref, or undefined when it has none or it cannot be resolved. */
function follow(loc: Located, lookup: Lookup): Located | undefined {
  const ref = loc.node.$ref;
  if (typeof ref !== 'string') return undefined;
  const { doc, pointer } = resolveRef(ref, loc.doc);
  if (!pointer.startsWith('/') && pointer !== '') return undefined;
  const root = lookup(doc);
  const node = root && nodeAt(root, pointer);
  return node ? { node, doc, pointer } : undefined;
}

/**
 * loc plus every schema object reachable through $ref and the named applicators (array-valued
 * ones such as allOf, or object-valued ones such as then / contentSchema), cycles cut.
 */
export function expand(loc: Located, lookup: Lookup, applicators: readonly string[]): Located[] {
  const out: Located[] = [];
  const seen = new Set<string>();
  const queue = [loc];
  while (queue.length > 0) {
    const cur = queue.shift() as Located;
    const key = `${cur.doc}#${cur.pointer}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(cur);
    const target = follow(cur, lookup);
    if (target) queue.push(target);
    for (const k of applicators) {
      const v = cur.node[k];
      if (Array.isArray(v)) {
        v.forEach((n, i) => {
          if (isNode(n)) queue.push({ node: n, doc: cur.doc, pointer: childPointer(cur.pointer, k, i) });
        });
      } else if (isNode(v)) {
        queue.push({ node: v, doc: cur.doc, pointer: childPointer(cur.pointer, k) });
      }
    }
  }
  return out;
}
