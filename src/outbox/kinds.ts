/**
 * Notification kinds are mappings: each durable row's `kind` + `v` (conventions 11) is read by
 * exactly one `flow: notify` mapping (mappings/notify-*.yaml), found here through the current
 * mapping table, so a hot-reloaded mapping applies to the next attempt. This lookup is the
 * reader's exhaustive switch: a kind@v without a mapping is a terminal failure naming the kinds
 * that exist (a dead letter an operator sees and can replay once the mapping is back), never a
 * silent drop. The payload is validated against the kind's `payload_schema` at enqueue
 * (enqueue.ts) and again before each delivery.
 */
import type { LoadedNotify, MappingSet } from '../mapping/load';
import type { SchemaRegistry } from '../schema/registry';
import { formatDiagnostics } from '../schema/registry';

export function kindKey(kind: string, v: number): string {
  return `${kind}@${v}`;
}

const indexes = new WeakMap<MappingSet, Map<string, LoadedNotify>>();

export function notifyKinds(set: MappingSet): Map<string, LoadedNotify> {
  let index = indexes.get(set);
  if (!index) {
    index = new Map(set.notify.map((n) => [kindKey(n.doc.notify.kind, n.doc.notify.v), n]));
    indexes.set(set, index);
  }
  return index;
}

/** The reader of kind@v, or a sentence saying why there is none. */
export function readerOf(set: MappingSet, kind: string, v: number): LoadedNotify | string {
  const index = notifyKinds(set);
  return (
    index.get(kindKey(kind, v)) ??
    `no notify mapping reads ${kindKey(kind, v)} (known: ${[...index.keys()].join(', ') || 'none'})`
  );
}

/** Validates a payload (form-like strings coerced in place: "1" → 1); '' when valid. */
export function payloadProblems(registry: SchemaRegistry, reader: LoadedNotify, payload: unknown): string {
  const schema = reader.doc.notify.payload_schema;
  const diags = registry.validate(schema, payload, { coerce: true });
  return diags.length === 0 ? '' : `payload does not match ${schema}: ${formatDiagnostics(diags)}`;
}
