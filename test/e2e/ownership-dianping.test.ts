/**
 * Ownership and replay attacks on the Dianping flows (issue 11), with two POS on one couponbridge:
 * POS B cannot take over, extend or refund POS A's orders and coupons (answered as unknown, nothing
 * sent to P云), and a captured signed request can never be replayed into another meaning — a
 * consume re-sent to consumeCouponOrder never refunds. The router scheme's timestamp is checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { startStack, type Stack } from '../support/stack';
import { dianping, parkPos, parkPosYaml, redeems, uniq } from './dianping-client';

const CONSUME = '/dianping/api/coupon/consumeCoupon';
const CORE = '/dianping/api/coupon/consumeCoreCoupon';
const EXTEND = '/dianping/api/coupon/consumeExtendCoupon';
const ORDER = '/dianping/api/coupon/consumeCouponOrder';
const CONSUME_TIME = 1709259330120;

const posB: Credentials = { keyId: 'posb', secret: 'pos-b-partner-secret-002', scheme: 'dianping-sha1' };
const router: Credentials = {
  keyId: 'posrouter',
  secret: 'pos-router-secret-00003',
  scheme: 'dianping-router-md5',
};
const extraYaml = [
  parkPosYaml,
  `  - { id: pos-b, dialect: dianping, app_key: ${posB.keyId}, secret: ${posB.secret}, defaults: { park_uuid: park-b } }`,
  `  - { id: pos-router, dialect: dianping, app_key: ${router.keyId}, secret: ${router.secret}, scheme: dianping-router-md5, defaults: { park_uuid: park-r } }`,
].join('\n');

let stack: Stack;
before(async () => {
  stack = await startStack({ extraYaml });
});
after(async () => {
  await stack.close();
});

const store = () => stack.running.rt.store;

function consume(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    couponCode: uniq('DP'),
    shopName: '点评停车场',
    consumeTime: CONSUME_TIME,
    orderId: uniq('ORD'),
    orderAmount: '30.00',
    payAmount: '25.00',
    freightFee: '0',
    comments: '',
    attributes: '{}',
    ...over,
  };
}

/** Sends a signed GET exactly as captured (path + query string), to any route. */
async function sendRaw(pathAndQuery: string): Promise<{ status: number; json: any }> {
  const res = await request(`${stack.url}${pathAndQuery}`, { method: 'GET' });
  return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
}

async function stateOf(code: string): Promise<string | undefined> {
  return (await store().getCoupon({ couponCode: code }))?.state;
}

describe('POS B and POS A’s orders and coupons', () => {
  test('POS B re-sending POS A’s consume (same orderId and code) is refused as unknown, then cannot refund it', async () => {
    const msg = consume();
    assert.deepEqual((await dianping(stack, CONSUME, msg)).json, { status: 'success' });
    stack.sandbox.clear();
    const takeover = await dianping(stack, CONSUME, msg, { creds: posB });
    assert.equal(takeover.json.status, 'error');
    assert.equal(takeover.json.code, '3009023', JSON.stringify(takeover.json));
    const refund = await dianping(
      stack,
      ORDER,
      { orderId: msg.orderId, shopName: 'x', consumeTime: CONSUME_TIME, payAmount: '0' },
      { creds: posB },
    );
    assert.equal(refund.json.code, '3002001', 'the order is unknown to POS B');
    const refundNamingCode = await dianping(
      stack,
      ORDER,
      {
        orderId: msg.orderId,
        shopName: 'x',
        couponCode: msg.couponCode,
        consumeTime: CONSUME_TIME,
        payAmount: '0',
        orderAmount: '5',
      },
      { creds: posB },
    );
    assert.equal(refundNamingCode.json.code, '3009023');
    assert.equal(redeems(stack).length, 0, 'nothing sent to P云');
    assert.equal(await stateOf(String(msg.couponCode)), 'used');
    assert.equal((await store().getOrder(parkPos.id, String(msg.orderId)))?.status, 'consumed');
    assert.equal(await store().getOrder('pos-b', String(msg.orderId)), undefined);
  });

  test('POS B cannot core-consume or extend POS A’s coupon', async () => {
    const code = uniq('DPC');
    assert.deepEqual((await dianping(stack, CORE, { couponCode: code, consumeTime: CONSUME_TIME })).json, {
      status: 'success',
    });
    stack.sandbox.clear();
    const core = await dianping(
      stack,
      CORE,
      { couponCode: code, consumeTime: CONSUME_TIME + 1 },
      { creds: posB },
    );
    assert.equal(core.json.code, '3009023');
    const ext = await dianping(
      stack,
      EXTEND,
      consume({ couponCode: code, orderAmount: '5', payAmount: '0' }),
      { creds: posB },
    );
    assert.equal(ext.json.code, '3001002', 'as for a coupon never core-consumed');
    assert.equal(redeems(stack).length, 0);
    const coupon = await store().getCoupon({ couponCode: code });
    assert.equal(coupon?.partner, parkPos.id);
    assert.equal((coupon?.attrs?.dianping as { orderId?: string }).orderId, undefined);
  });
});

describe('no cross-meaning replay', () => {
  test('POS A’s captured consumeCoupon query re-sent to consumeCouponOrder is refused and refunds nothing', async () => {
    const msg = consume();
    const built = getDialect('dianping').buildRequest(
      { method: 'GET', path: CONSUME, encoding: 'query' },
      msg,
      { keyId: 'pospark', secret: 'pos-park-secret-000001', scheme: 'dianping-sha1' },
    );
    const query = built.path.slice(CONSUME.length);
    assert.deepEqual((await sendRaw(built.path)).json, { status: 'success' });
    const replayed = await sendRaw(`${ORDER}${query}`);
    assert.equal(replayed.json.status, 'error');
    assert.equal(replayed.json.code, '3009010', JSON.stringify(replayed.json));
    assert.equal(await stateOf(String(msg.couponCode)), 'used', 'not refunded');
    assert.equal((await store().getOrder(parkPos.id, String(msg.orderId)))?.status, 'consumed');
    for (const other of [CORE, EXTEND]) {
      assert.equal((await sendRaw(`${other}${query}`)).json.code, '3009010', other);
    }
  });

  test('a D4 consume re-sent unchanged is answered 订单号重复, never a refund; a fresh refund then refunds', async () => {
    const msg = consume();
    const first = await dianping(stack, ORDER, msg, { method: 'GET' });
    assert.deepEqual(first.json, { status: 'success' });
    const again = await dianping(stack, ORDER, msg, { method: 'GET' });
    assert.equal(again.json.code, '3001001', JSON.stringify(again.json));
    assert.equal(await stateOf(String(msg.couponCode)), 'used');
    const refund = await dianping(stack, ORDER, {
      orderId: msg.orderId,
      shopName: 'x',
      consumeTime: CONSUME_TIME + 60_000,
      payAmount: '0',
    });
    assert.deepEqual(refund.json, { status: 'success' });
    assert.equal(await stateOf(String(msg.couponCode)), 'refunded');
  });

  test('the router scheme’s timestamp must be inside the replay window; its signature is remembered too', async () => {
    const stale = getDialect('dianping').buildRequest(
      { method: 'GET', path: CONSUME, encoding: 'query' },
      consume(),
      router,
      new Date(Date.now() - 10 * 60_000),
    );
    const res = await sendRaw(stale.path);
    assert.equal(res.json.code, '3009009', JSON.stringify(res.json));
    const fresh = getDialect('dianping').buildRequest(
      { method: 'GET', path: CONSUME, encoding: 'query' },
      consume(),
      router,
    );
    assert.deepEqual((await sendRaw(fresh.path)).json, { status: 'success' });
    const query = fresh.path.slice(CONSUME.length);
    assert.equal((await sendRaw(`${ORDER}${query}`)).json.code, '3009010');
  });
});
