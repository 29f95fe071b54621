// src/generated/ must be exactly what `npm run gen:types` produces from schemas/ today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { generateTypes } from '../../scripts/gen-types';
import { projectRoot } from '../../src/util/paths';

const root = projectRoot();
const generated = generateTypes();

function committed(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? committed(p) : [relative(root, p).split(sep).join('/')];
  });
}

test('the committed generated types match the schemas (run npm run gen:types when this fails)', async () => {
  const fresh = await generated;
  const onDisk = committed(join(root, 'src', 'generated'));
  for (const path of onDisk) assert.ok(fresh.has(path), `${path} is stale: no schema generates it any more`);
  for (const [path, content] of fresh) {
    assert.ok(onDisk.includes(path), `${path} is missing`);
    assert.ok(readFileSync(join(root, path), 'utf8') === content, `${path} is stale`);
  }
});

test('every generated file starts with the DO NOT EDIT header naming its schema', async () => {
  for (const [path, content] of await generated) {
    const schema =
      path === 'src/generated/index.ts' ? 'schemas/<dialect>/' : `schemas/${path.slice(14, -3)}.schema.json`;
    assert.ok(content.startsWith(`/* DO NOT EDIT — generated from ${schema}`), path);
  }
});

test('a JSON-string field is typed as a string', async () => {
  const push = (await generated).get('src/generated/pyun/payment-push.request.ts') ?? '';
  assert.match(push, /\n {2}mcoupons\?: string;\n/);
  assert.match(push, /export interface PyunPaymentPushRequest \{/);
});
