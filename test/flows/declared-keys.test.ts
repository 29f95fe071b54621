/**
 * The flows key their idempotency and their per-code claims by what the mapping declares
 * (`inbound.idempotency_key`, `inbound.claims`), not by names in their code: a copy of the shipped
 * mappings with other declarations makes the same messages use other records.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, testMappings, type Stack } from '../support/stack';
import { dianping, parkPos, parkPosYaml, uniq } from '../e2e/dianping-client';
import type { IdemKey } from '../../src/store/types';

const CONSUME = '/dianping/api/coupon/consumeCoupon';
const CORE = '/dianping/api/coupon/consumeCoreCoupon';
let stack: Stack;

function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  assert.ok(text.includes(from), `${file} contains ${from}`);
  writeFileSync(path, text.replace(from, to));
}

/** Whether a finished record exists under the key (a probe of an absent key leaves a started one). */
async function finished(k: IdemKey): Promise<boolean> {
  const store = stack.running.rt.store;
  const b = await store.idemBegin(k, 'probe', new Date());
  if (b.state === 'new') await store.idemAbandon(k);
  return b.state === 'finished';
}

before(async () => {
  const dir = testMappings();
  edit(
    dir,
    'dianping-consume-coupon.yaml',
    '  idempotency_key: orderId\n',
    "  idempotency_key: { field: shopName, prefix: 'shop:' }\n",
  );
  edit(
    dir,
    'dianping-consume-core-coupon.yaml',
    'claims: { each: couponCode, scope: coupon-code }',
    'claims: { each: couponCode, scope: core-only }',
  );
  stack = await startStack({ mappings: dir, extraYaml: parkPosYaml });
});
after(async () => {
  await stack.close();
});

function consume(shopName: string): Record<string, unknown> {
  return {
    couponCode: uniq('DK'),
    shopName,
    consumeTime: 1709259330120,
    orderId: uniq('ORD'),
    orderAmount: '30.00',
    payAmount: '25.00',
    freightFee: '0',
    attributes: '{}',
  };
}

describe('declared keys', () => {
  test('the idempotency wrapper keys the consume by the declared field and prefix', async () => {
    const shop = uniq('shop');
    const first = consume(shop);
    assert.deepEqual((await dianping(stack, CONSUME, first)).json, { status: 'success' });
    const route = 'dianping.consume-coupon';
    assert.equal(await finished({ partner: parkPos.id, route, key: `shop:${shop}` }), true);
    assert.equal(await finished({ partner: parkPos.id, route, key: String(first.orderId) }), false);
    // another order of the same shop is now a repeat of the declared key: 订单号重复, nothing sent
    const sent = stack.sandbox.requests({ target: 'pyun' }).length;
    const second = await dianping(stack, CONSUME, consume(shop));
    assert.equal(second.json.code, '3001001', second.body);
    assert.equal(stack.sandbox.requests({ target: 'pyun' }).length, sent);
  });

  test('the per-code claim lives in the declared scope', async () => {
    const code = uniq('DC');
    const res = await dianping(stack, CORE, { couponCode: code, consumeTime: 1709259330120 });
    assert.deepEqual(res.json, { status: 'success' });
    assert.equal(await finished({ partner: 'dianping', route: 'core-only', key: code }), true);
    assert.equal(await finished({ partner: 'dianping', route: 'coupon-code', key: code }), false);
    // the shipped scope still guards the consume route: its claim is recorded there
    const order = consume(uniq('shop'));
    assert.deepEqual((await dianping(stack, CONSUME, order)).json, { status: 'success' });
    const key = String(order.couponCode);
    assert.equal(await finished({ partner: 'dianping', route: 'coupon-code', key }), true);
  });
});
