/**
 * Issue 12 item 1: every seed maximum length is enforced, per route. The list of fields is generated
 * from each route's inbound schema (every `maxLength` reachable through $ref, allOf, properties and
 * items), not written by hand. For each one a correctly signed message is sent over HTTP with the
 * field one character over its maximum (refused, naming the field and the rule) and exactly at it
 * (no length complaint).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { getScheme } from '../../src/dialects';
import { expand, isNode, type Located } from '../../src/schema/navigate';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { creds, startStack, type Stack } from '../support/stack';
import { signed, targetsOf, type Target } from '../fuzz/harness';

const registry = loadSchemaRegistry();
const lookup = (id: string) => (registry.has(id) ? registry.schema(id) : undefined);
const APPLICATORS = ['allOf'];

/** Every (path, maxLength) of a schema; array items are addressed as index 0. */
function maxLengths(schemaId: string): Array<{ path: string[]; max: number }> {
  const out: Array<{ path: string[]; max: number }> = [];
  const visit = (loc: Located, path: string[], depth: number): void => {
    if (depth > 8) return;
    for (const l of expand(loc, lookup, APPLICATORS)) {
      const max = l.node.maxLength;
      if (typeof max === 'number' && path.length > 0) out.push({ path, max });
      if (isNode(l.node.properties)) {
        for (const [k, sub] of Object.entries(l.node.properties)) {
          if (isNode(sub))
            visit(
              { node: sub, doc: l.doc, pointer: `${l.pointer}/properties/${k}` },
              [...path, k],
              depth + 1,
            );
        }
      }
      if (isNode(l.node.items))
        visit({ node: l.node.items, doc: l.doc, pointer: `${l.pointer}/items` }, [...path, '0'], depth + 1);
    }
  };
  visit({ node: registry.schema(schemaId), doc: schemaId, pointer: '' }, [], 0);
  const seen = new Set<string>();
  return out.filter((f) => !seen.has(f.path.join('/')) && seen.add(f.path.join('/')));
}

/** base with the value at path replaced (arrays and objects copied on the way). */
function withValue(base: Record<string, unknown>, path: string[], value: string): Record<string, unknown> {
  const copy = structuredClone(base);
  let cur: Record<string, unknown> = copy;
  for (const seg of path.slice(0, -1)) {
    if (typeof cur[seg] !== 'object' || cur[seg] === null) cur[seg] = /^\d+$/.test(seg) ? [] : {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
  return copy;
}

const TRANSPORT = new Set(['api_key', 'seq_id', 'timestamp', 'nonce', 'sign']);

/** A Tencent message signed by hand, so that the common parameters can be set too. */
function tencentBody(fields: Record<string, unknown>): string {
  const message: Record<string, unknown> = {
    api_key: creds.sp.api_key,
    seq_id: randomUUID(),
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: String(Math.floor(Math.random() * 1e15)),
    ...fields,
  };
  message.sign = getScheme('tencent-md5').sign({ params: message }, creds.sp.secret).sign;
  return JSON.stringify(message);
}

let stack: Stack;
let targets: Target[];
before(async () => {
  stack = await startStack();
  targets = targetsOf(stack);
});
after(async () => {
  await stack.close();
});

async function send(
  t: Target,
  path: string[],
  value: string,
): Promise<{ status: number; json: any; body: string }> {
  if (t.dialect === 'tencent' && TRANSPORT.has(path[0])) {
    return stack.post(t.path, tencentBody(withValue({ ...t.base }, path, value)));
  }
  const wire = signed(t, withValue(t.base, path, value));
  return stack.post(t.path, wire.body, { 'content-type': wire.contentType });
}

describe('seed maximum lengths, per route', () => {
  test('the schemas declare maximum lengths on Tencent routes (the seeds give 最大长度 there)', () => {
    const tencent = [...stack.running.rt.table.byId.values()].filter((r) => r.dialect.name === 'tencent');
    for (const r of tencent) assert.ok(maxLengths(r.doc.inbound.schema).length > 0, r.id);
  });

  test('one character over the maximum is refused naming the field; exactly the maximum is not', async (ctx) => {
    let checked = 0;
    for (const t of targets) {
      const route = stack.running.rt.table.byId.get(t.id)!;
      for (const { path, max } of maxLengths(route.doc.inbound.schema)) {
        const pointer = `/${path.join('/')}`;
        const over = await send(t, path, 'x'.repeat(max + 1));
        const code = String(t.dialect === 'tencent' ? over.json.code : over.json.code);
        assert.equal(code, String(route.dialect.codes.CB_SCHEMA_INVALID), `${t.id} ${pointer}: ${over.body}`);
        assert.ok(
          over.json.message.includes(`${pointer}: must NOT have more than ${max} characters`),
          `${t.id} ${pointer}: ${over.body}`,
        );
        const at = await send(t, path, 'x'.repeat(max));
        assert.ok(
          !at.body.includes(`${pointer}: must NOT have more than`),
          `${t.id} ${pointer} at ${max}: ${at.body}`,
        );
        checked++;
      }
    }
    ctx.diagnostic(`${checked} maximum lengths checked`);
    assert.ok(checked >= 30, `${checked} maximum lengths checked`);
  });
});
