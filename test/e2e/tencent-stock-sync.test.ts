/**
 * Flow T5 end to end over HTTP: a legacy SP's /stock/rsync and /stock/status/rsync are recorded
 * in the ledger (layered over the catalogue by the stock view) together with an outbox
 * notification; the worker running in the stack's server forwards it, re-signed with
 * couponbridge's Tencent credentials and carrying the SP's seq_id, to the sandbox Tencent platform
 * (which verifies it), retrying while Tencent fails.
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
import type { OutboxItem } from '../../src/store/types';
import { creds, fastOutboxYaml, spCreds, startStack, testConfig, type Stack } from '../support/stack';

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

function tencentCalls(seqId: string): RecordedRequest[] {
  return stack.sandbox.requests({ target: 'tencent' }).filter((r) => r.fields?.seq_id === seqId);
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
  return stockView(rt.store, rt.table.stocks, stockId, 'sp-test');
}

async function outboxOf(rt: Running['rt'], seqId: string): Promise<OutboxItem[]> {
  return (await rt.store.listOutbox({ destination: 'tencent' })).filter((i) => i.dedupKey === seqId);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the outbox row of seq_id reaches `state`. */
function settled(seqId: string, state: OutboxItem['state'] = 'delivered'): Promise<OutboxItem> {
  return eventually(`the forward of ${seqId} to be ${state}`, async () => {
    const [row] = await outboxOf(stack.running.rt, seqId);
    return row?.state === state ? row : undefined;
  });
}

before(async () => {
  stack = await startStack({
    extraYaml: fastOutboxYaml,
  });
});
after(async () => {
  await stack.close();
});

describe('T5 stock sync', () => {
  test('/stock/rsync is recorded over the catalogue and forwarded through the outbox, re-signed, with the SP seq_id', async () => {
    const seqId = randomUUID();
    const res = await stack.tencent(STOCK, stockSync({ seq_id: seqId }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    const sync = await stack.running.rt.store.getStockSync('cb-demo-001');
    assert.equal(sync?.status, 3);
    assert.deepEqual(sync?.presentation, stockSync(), 'the business part, without the common parameters');
    const v = await view(stack.running.rt, 'cb-demo-001');
    assert.equal(v?.stock_name, '停车6元代金券');
    assert.equal(v?.face_value_fen, 500, 'the face value stays the operator’s (issue 11)');
    assert.equal(
      v?.park_uuid,
      '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
      'the P云 side still comes from the catalogue',
    );
    const row = await settled(seqId);
    assert.equal(row.kind, 'tencent.stock_sync');
    assert.equal(row.v, 1);
    assert.equal(row.attempts, 1);
    assert.deepEqual(row.payload, { seq_id: seqId, ...stockSync() });
    const calls = tencentCalls(seqId);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, `${TENCENT_PREFIX}/stock/rsync`);
    assertSignedByCouponbridge(calls[0]);
    const sent = calls[0].fields!;
    assert.notEqual(sent.sign, undefined);
    for (const [k, v] of Object.entries(stockSync())) assert.deepEqual(sent[k], v, k);
  });

  test('/stock/status/rsync to 4 stops the stock, keeps the presentation and is forwarded', async () => {
    const seqId = randomUUID();
    const res = await stack.tencent(STATUS, {
      seq_id: seqId,
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
    assert.equal((await settled(seqId)).kind, 'tencent.stock_status_sync');
    const [call] = tencentCalls(seqId);
    assert.equal(call.path, `${TENCENT_PREFIX}/stock/status/rsync`);
    assertSignedByCouponbridge(call);
    assert.equal(call.fields!.stock_status, 4);
    assert.equal(call.fields!.extra, 'stopped by the SP');
  });

  test('a stock missing from the catalogue is unknown (400201): nothing recorded, nothing forwarded', async () => {
    const seqId = randomUUID();
    const res = await stack.tencent(STATUS, {
      seq_id: seqId,
      stock_id: 'synced-only-stock',
      stock_status: 3,
    });
    assert.equal(res.json.code, 400201);
    assert.equal(await stack.running.rt.store.getStockSync('synced-only-stock'), undefined);
    assert.equal(await view(stack.running.rt, 'synced-only-stock'), undefined);
    assert.deepEqual(await outboxOf(stack.running.rt, seqId), []);
  });

  test('Tencent down: the SP is answered success at once; the forward is delivered once Tencent is back, same seq_id', async () => {
    const seqId = randomUUID();
    stack.sandbox.fault('tencent', { mode: 'down', times: 2 });
    const res = await stack.tencent(STOCK, stockSync({ seq_id: seqId, stock_id: 'cb-demo-time-002' }));
    assert.equal(res.status, 200);
    assert.equal(res.json.code, 0);
    assert.equal((await view(stack.running.rt, 'cb-demo-time-002'))?.stock_status, 3);
    assert.equal((await settled(seqId)).attempts, 3);
    const calls = tencentCalls(seqId);
    assert.deepEqual(
      calls.map((r) => r.fault),
      ['down', 'down', undefined],
    );
    assertSignedByCouponbridge(calls[2]);
  });

  test('Tencent refusing the forward is a dead letter; the SP got success and the ledger is written', async () => {
    const seqId = randomUUID();
    stack.sandbox.fault('tencent', { mode: 'code', code: '400000', message: '参数错误', times: 1 });
    const res = await stack.tencent(STATUS, { seq_id: seqId, stock_id: 'cb-demo-time-002', stock_status: 5 });
    assert.equal(res.json.code, 0);
    assert.equal((await view(stack.running.rt, 'cb-demo-time-002'))?.stock_status, 5);
    const dead = await settled(seqId, 'dead');
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError ?? '', /Tencent 400000 参数错误/);
  });

  test('the SP retrying a seq_id stores nothing twice; the same seq_id with other fields is 400102 and records nothing', async () => {
    const seqId = randomUUID();
    const msg = { seq_id: seqId, stock_id: 'cb-demo-time-002', stock_status: 3 };
    assert.equal((await stack.tencent(STATUS, msg)).json.code, 0);
    await settled(seqId);
    assert.equal((await stack.tencent(STATUS, msg)).json.code, 0);
    assert.equal((await outboxOf(stack.running.rt, seqId)).length, 1);
    const reused = await stack.tencent(STATUS, { ...msg, stock_status: 4 });
    assert.equal(reused.json.code, 400102);
    assert.match(reused.json.message, new RegExp(seqId));
    assert.equal((await view(stack.running.rt, 'cb-demo-time-002'))?.stock_status, 3);
    assert.equal(tencentCalls(seqId).length, 1);
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
    const all = await stack.running.rt.store.listOutbox({ destination: 'tencent' });
    assert.equal(
      all.filter((i) => (i.payload as Record<string, unknown>).stock_id === 'refused-stock').length,
      0,
    );
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

  test('the sync is recorded only and answered with success; nothing is enqueued', async () => {
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
    assert.deepEqual(await running.rt.store.listOutbox({}), []);
  });
});
