/** Mapping hot-reload: a good change takes effect, a broken one is rejected and the old set keeps serving. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { reloadMappings, watchMappings } from '../../src/server/reload';
import { startStack, testMappings, type Stack } from '../support/stack';

const dir = testMappings();
const file = join(dir, 'tencent-coupon-status-rsync.yaml');
const original = readFileSync(file, 'utf8');
let stack: Stack;

const msg = () => ({
  app_channel_id: 0,
  user_code: 'u',
  stock_id: 'cb-demo-001',
  coupon_id: `C${randomUUID().slice(0, 6)}`,
  coupon_status: 2,
});

before(async () => {
  // Unknown coupons, sent with the legacy fallback: this suite is about reloading, not ownership.
  stack = await startStack({ mappings: dir, extraYaml: 'grant_serial_fallback: coupon_id' });
});
after(async () => {
  await stack.close();
});

describe('mapping hot-reload', () => {
  test('a changed mapping serves the next request', async () => {
    writeFileSync(file, original.replace('status_desc: { const: 已过期 }', 'status_desc: { const: 已失效 }'));
    assert.equal(reloadMappings(stack.running.rt), true);
    const res = await stack.tencent('/tencent/coupon/status/rsync', { ...msg(), coupon_status: 3 });
    assert.equal(res.json.code, 0);
    assert.match(
      stack.sandbox.requests({ target: 'pyun' }).at(-1)!.body,
      /status_desc=%E5%B7%B2%E5%A4%B1%E6%95%88/,
    );
  });

  test('a broken mapping is rejected and the previous one keeps serving', async () => {
    const before = stack.running.rt.table;
    writeFileSync(
      file,
      original.replace('from: in.usage_time, convert: to_utc', 'from: in.nope, convert: to_utc'),
    );
    assert.equal(reloadMappings(stack.running.rt), false);
    assert.equal(stack.running.rt.table, before);
    const res = await stack.tencent('/tencent/coupon/status/rsync', msg());
    assert.equal(res.json.code, 0);
  });

  test('the file watcher picks up a change by itself', async () => {
    const w = watchMappings(stack.running.rt, 20);
    const before = stack.running.rt.table;
    writeFileSync(file, original);
    for (let i = 0; i < 50 && stack.running.rt.table === before; i++)
      await new Promise((r) => setTimeout(r, 20));
    w.close();
    assert.notEqual(stack.running.rt.table, before);
  });
});
