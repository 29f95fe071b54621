/**
 * Flow T5 end to end over HTTP: a legacy SP's /stock/rsync and /stock/status/rsync are recorded
 * in the ledger (layered over the catalogue by the stock view) and forwarded, re-signed with
 * couponbridge's Tencent credentials, to the sandbox Tencent platform (which verifies them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { createLogger } from '../../src/log';
import { stockView } from '../../src/ledger/stocks';
import { startServer, type Running } from '../../src/server/start';
import { TENCENT_PREFIX, type RecordedRequest } from '../../src/sandbox';
import { creds, spCreds, startStack, testConfig, type Stack } from '../support/stack';

const STOCK = '/tencent/stock/rsync';
const STATUS = '/tencent/stock/status/rsync';
let stack: Stack;

function stockSync(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_channel_id: 0,
    app_id: 'wx3333333333',
    buss_classify: 7,
    stock_id: 'cb-demo-001',
    stock_name: '停车6元代金券',
    instructions: '出场缴费自动抵扣6元',
    coupon_name: '停车6元券',
    coupon_desc: '停车缴费立减6元',
    coupon_type: 1,
    fixed_normal_coupon: { coupon_amount: 600, transaction_minimum: 1000 },
    max_coupons: 5000,
    max_coupons_per_user: 3,
    available_begin_time: '2025-03-01T00:00:00.000+08:00',
    available_end_time: '2029-03-01T00:00:00.000+08:00',
    create_time: '2025-02-20T10:00:00.000+08:00',
    stock_status: 3,
    ...over,
  };
}

function tencentCalls(): RecordedRequest[] {
  return stack.sandbox.requests({ target: 'tencent' });
}

/** Verifies a forwarded message with couponbridge's Tencent credentials, independently of the sandbox. */
function assertSignedByCouponbridge(r: RecordedRequest): void {
  const d = getDialect('tencent');
  const raw = {
    method: r.method,
    path: r.path,
    query: r.query,
    headers: r.headers as IncomingHttpHeaders,
    body: Buffer.from(r.body),
  };
  const msg = d.parse(raw);
  assert.equal(msg.fields.api_key, creds.tencentUpstream.api_key);
  const outcome = d.verify(msg, raw, {
    keyId: creds.tencentUpstream.api_key,
    secret: creds.tencentUpstream.secret,
    scheme: 'tencent-md5',
  });
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(
    JSON.parse(r.answer!.body),
    { code: 0, message: 'successful' },
    'the sandbox Tencent accepted it',
  );
}

async function view(rt: Running['rt'], stockId: string) {
  return stockView(rt.store, rt.table.stocks, stockId);
}

before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.close();
});

describe('T5 stock sync', () => {
  test('/stock/rsync is recorded over the catalogue and forwarded re-signed to Tencent', async () => {
    stack.sandbox.clear();
    const seqId = randomUUID();
    const res = await stack.tencent(STOCK, stockSync({ seq_id: seqId }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    const sync = await stack.running.rt.store.getStockSync('cb-demo-001');
    assert.equal(sync?.status, 3);
    assert.deepEqual(sync?.presentation, stockSync(), 'the business part, without the common parameters');
    const v = await view(stack.running.rt, 'cb-demo-001');
    assert.equal(v?.stock_name, '停车6元代金券');
    assert.equal(v?.face_value_fen, 600);
    assert.equal(
      v?.park_uuid,
      '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
      'the P云 side still comes from the catalogue',
    );
    const calls = tencentCalls();
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, `${TENCENT_PREFIX}/stock/rsync`);
    assertSignedByCouponbridge(calls[0]);
    const sent = calls[0].fields!;
    assert.equal(sent.seq_id, seqId);
    assert.notEqual(sent.sign, undefined);
    for (const [k, v] of Object.entries(stockSync())) assert.deepEqual(sent[k], v, k);
  });

  test('/stock/status/rsync to 4 stops the stock, keeps the presentation and is forwarded', async () => {
    stack.sandbox.clear();
    const res = await stack.tencent(STATUS, {
      stock_id: 'cb-demo-001',
      stock_status: 4,
      extra: 'stopped by the SP',
    });
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    const v = await view(stack.running.rt, 'cb-demo-001');
    assert.equal(v?.stock_status, 4);
    assert.equal(v?.stock_name, '停车6元代金券');
    const query = await stack.tencent('/tencent/sp/stock/query', { stock_id: 'cb-demo-001' });
    assert.equal(query.json.data.stock_status, 4);
    const [call] = tencentCalls();
    assert.equal(call.path, `${TENCENT_PREFIX}/stock/status/rsync`);
    assertSignedByCouponbridge(call);
    assert.equal(call.fields!.stock_status, 4);
    assert.equal(call.fields!.extra, 'stopped by the SP');
  });

  test('a stock missing from the catalogue is recorded but not in the stock view', async () => {
    const res = await stack.tencent(STATUS, { stock_id: 'synced-only-stock', stock_status: 3 });
    assert.equal(res.json.code, 0);
    assert.equal((await stack.running.rt.store.getStockSync('synced-only-stock'))?.status, 3);
    assert.equal(await view(stack.running.rt, 'synced-only-stock'), undefined);
  });

  test('Tencent refusing the forward: a Tencent error keeping its code; the ledger is written anyway', async () => {
    stack.sandbox.fault('tencent', { mode: 'code', code: '400000', message: '参数错误', times: 1 });
    const refused = await stack.tencent(STATUS, { stock_id: 'cb-demo-time-002', stock_status: 5 });
    assert.equal(refused.json.code, 400220);
    assert.match(refused.json.message, /Tencent 400000/);
    assert.equal((await view(stack.running.rt, 'cb-demo-time-002'))?.stock_status, 5);
    stack.sandbox.fault('tencent', { mode: 'code', code: '400005', times: 1 });
    const signature = await stack.tencent(STATUS, { stock_id: 'cb-demo-time-002', stock_status: 5 });
    assert.equal(signature.json.code, 500000);
    assert.match(signature.json.message, /Tencent 400005/);
  });

  test('Tencent down: 500000 with HTTP 502', async () => {
    stack.sandbox.fault('tencent', { mode: 'down', times: 1 });
    const res = await stack.tencent(STOCK, stockSync({ stock_id: 'cb-demo-time-002' }));
    assert.equal(res.status, 502);
    assert.equal(res.json.code, 500000);
  });

  test('a bad signature, a stale timestamp and a bad status are refused and record nothing', async () => {
    const msg = { stock_id: 'refused-stock', stock_status: 4 };
    const bad = await stack.tencent(STATUS, msg, {
      tamper: (b) => b.replace('"stock_status":4', '"stock_status":3'),
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.code, 400005);
    const stale = await stack.tencent(STATUS, msg, { now: new Date(Date.now() - 301_000) });
    assert.equal(stale.json.code, 400004);
    const invalid = await stack.tencent(STATUS, { ...msg, stock_status: 9 });
    assert.equal(invalid.json.code, 400000);
    assert.match(invalid.json.message, /stock_status/);
    assert.equal(await stack.running.rt.store.getStockSync('refused-stock'), undefined);
  });
});

describe('T5 stock sync without a Tencent upstream', () => {
  let running: Running;
  before(async () => {
    running = await startServer(testConfig({ pyun: stack.sandbox.pyunUrl }), {
      logger: createLogger({ level: 'error' }),
      watch: false,
    });
  });
  after(async () => {
    await running.stop();
  });

  test('the sync is recorded only and answered with success', async () => {
    stack.sandbox.clear();
    const built = getDialect('tencent').buildRequest(
      { method: 'POST', path: STATUS, encoding: 'json' },
      { seq_id: randomUUID(), stock_id: 'cb-demo-001', stock_status: 2 },
      spCreds,
    );
    const res = await request(`${running.url}${STATUS}`, {
      method: 'POST',
      headers: built.headers,
      body: built.body,
    });
    assert.deepEqual(await res.body.json(), { code: 0, message: 'successful' });
    assert.equal((await view(running.rt, 'cb-demo-001'))?.stock_status, 2);
    assert.equal(tencentCalls().length, 0);
  });
});
