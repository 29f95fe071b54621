// docs/messages/ must be exactly what `npm run gen:docs` produces from schemas/ today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { generateMessageDocs } from '../../scripts/gen-docs';
import { listSchemaFiles } from '../../src/schema/registry';
import { projectRoot } from '../../src/util/paths';

const root = projectRoot();
const fresh = generateMessageDocs();

function committed(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? committed(p) : [relative(root, p).split(sep).join('/')];
  });
}

test('the committed message pages match the schemas (run npm run gen:docs when this fails)', () => {
  const onDisk = committed(join(root, 'docs', 'messages'));
  for (const path of onDisk) assert.ok(fresh.has(path), `${path} is stale: no schema generates it any more`);
  for (const [path, content] of fresh) {
    assert.ok(onDisk.includes(path), `${path} is missing`);
    assert.ok(readFileSync(join(root, path), 'utf8') === content, `${path} is stale`);
  }
});

test('one page per dialect message schema, each listed in the index', () => {
  const messages = listSchemaFiles(join(root, 'schemas'))
    .map((f) => relative(join(root, 'schemas'), f).split(sep).join('/'))
    .filter((f) => /^(pyun|tencent|dianping)\/(?!common\.|defs\.)/.test(f))
    .map((f) => f.replace(/\.schema\.json$/, ''));
  assert.equal(messages.length, 31);
  const index = fresh.get('docs/messages/README.md') ?? '';
  for (const id of messages) {
    assert.ok(fresh.has(`docs/messages/${id}.md`), `no page for ${id}`);
    assert.ok(index.includes(`](${id}.md)`), `the index does not link ${id}`);
  }
});

test('a page lists each field with its type, whether required, its limits and the seed description', () => {
  const page = fresh.get('docs/messages/tencent/coupon-status-rsync.request.md') ?? '';
  assert.ok(
    page.startsWith(
      '<!-- DO NOT EDIT — generated from schemas/tencent/coupon-status-rsync.request.schema.json',
    ),
  );
  assert.ok(page.includes('| Field | Type | Required | Limits | Description |'));
  assert.ok(
    page.includes(
      '| `coupon_status` | integer | yes | one of `1`, `2`, `3` | 优惠券状态 1: 可用 2: 已使用 3: 已过期 |',
    ),
    page,
  );
  assert.ok(page.includes('| `coupon_id` | string | yes | 1–20 characters | 优惠券 ID |'), page);
  assert.ok(page.includes('| `extra` | string | no | at most 128 characters | 扩展信息 |'), page);
  // the common parameters of the dialect, through allOf
  assert.match(page, /\n\| `api_key` \| string \| yes \|/);
  assert.match(page, /\n\| `sign` \| string \| yes \|/);
  // a JSON-string field's decoded content, as dotted paths
  const push = fresh.get('docs/messages/pyun/payment-push.request.md') ?? '';
  assert.ok(push.includes('| `mcoupons (decoded)[].grant_serial` | string | yes |  | 派发流水 |'), push);
});
