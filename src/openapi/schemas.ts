/**
 * The message schemas as one set of named components: each schema document reachable from a
 * route (through $ref) is copied under a component name derived from its $id
 * (`tencent/defs` → `tencent.defs`), its relative $refs rewritten to `#/components/schemas/…`
 * and its own `$id`/`$schema` dropped, so the documents resolve inside one OpenAPI file.
 * Also used by the Markdown pages (docs/messages): the top-level fields of a message, following
 * its allOf (the dialect's common parameters).
 */
import type { SchemaRegistry } from '../schema/registry';
import { isNode, nodeAt, resolveRef, type SchemaNode } from '../schema/navigate';

export function componentName(id: string): string {
  return id.replace(/\//g, '.');
}

export function componentRef(id: string, pointer = ''): string {
  return `#/components/schemas/${componentName(id)}${pointer}`;
}

/** A copy of node with every $ref made component-relative; `found` collects the documents referred to. */
function rewrite(node: unknown, doc: string, found: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, doc, found));
  if (!isNode(node)) return node;
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      const target = resolveRef(v, doc);
      found.add(target.doc);
      out.$ref = componentRef(target.doc, target.pointer ? `${target.pointer}` : '');
    } else if (k === 'enum' || k === 'const' || k === 'examples' || k === 'default') out[k] = v;
    else out[k] = rewrite(v, doc, found);
  }
  return out;
}

/** A schema (sub)node of document `doc`, refs rewritten; `found` collects what it refers to. */
export function rewriteNode(node: unknown, doc: string, found: Set<string>): SchemaNode {
  return rewrite(node, doc, found) as SchemaNode;
}

/** The components for the given schema ids and every document they refer to, sorted by name. */
export function collectComponents(
  registry: SchemaRegistry,
  roots: Iterable<string>,
): Record<string, SchemaNode> {
  const done = new Map<string, SchemaNode>();
  const queue = [...roots];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (done.has(id)) continue;
    const found = new Set<string>();
    const { $id: _id, $schema: _schema, ...body } = registry.schema(id);
    done.set(id, rewriteNode(body, id, found));
    for (const f of found) if (!done.has(f)) queue.push(f);
  }
  return Object.fromEntries(
    [...done.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, node]) => [componentName(id), node]),
  );
}

export interface TopField {
  name: string;
  /** The property's schema node as written (refs not followed), and the document it lives in. */
  node: SchemaNode;
  doc: string;
  required: boolean;
}

/** The target of a $ref node, or the node itself. */
export function deref(
  registry: SchemaRegistry,
  node: SchemaNode,
  doc: string,
): { node: SchemaNode; doc: string } {
  let cur = { node, doc };
  for (let i = 0; i < 10 && typeof cur.node.$ref === 'string'; i++) {
    const t = resolveRef(cur.node.$ref, cur.doc);
    const target = nodeAt(registry.schema(t.doc), t.pointer);
    if (!target) throw new Error(`${cur.doc}: $ref ${cur.node.$ref} does not resolve`);
    // sibling keywords (description…) of the $ref node win over the target's
    const { $ref: _ref, ...siblings } = cur.node;
    cur = { node: { ...target, ...siblings }, doc: t.doc };
  }
  return cur;
}

/** A message's top-level fields: its own properties first, then those of its allOf members. */
export function topFields(registry: SchemaRegistry, id: string): TopField[] {
  const required = new Set(registry.required(id));
  const out = new Map<string, TopField>();
  const visit = (node: SchemaNode, doc: string, depth: number): void => {
    if (depth > 5) return;
    const props = node.properties;
    if (isNode(props)) {
      for (const [name, p] of Object.entries(props)) {
        if (!out.has(name) && isNode(p)) out.set(name, { name, node: p, doc, required: required.has(name) });
      }
    }
    if (Array.isArray(node.allOf)) {
      for (const member of node.allOf) {
        if (!isNode(member)) continue;
        const m = deref(registry, member, doc);
        visit(m.node, m.doc, depth + 1);
      }
    }
  };
  visit(registry.schema(id), id, 0);
  return [...out.values()];
}
