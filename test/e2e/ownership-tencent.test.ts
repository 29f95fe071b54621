/**
 * Ownership attacks on the Tencent flows (issue 11), with two SPs on one couponbridge: SP B acting
 * on SP A's coupons and stocks is answered exactly as for something that does not exist, and
 * nothing reaches P云 or the outbox. Each attack runs beside the owner's own request succeeding,
 * so a refusal for any other reason would show.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseForm } from '../../src/dialects';
import type { Credentials, UpstreamClient } from '../../src/dialects/types';
import type { CouponRecord } from '../../src/store/types';
import { stockView } from '../../src/ledger/stocks';
import { pushedCoupon, startStack, testMappings, type Stack } from '../support/stack';

const spB: Credentials = { keyId: 'SPBKEY0002', secret: 'sp-b-partner-secret-0002', scheme: 'tencent-md5' };
const partnersYaml = `  - { id: sp-b, dialect: tencent, api_key: ${spB.keyId}, secret: ${spB.secret}, defaults: { park_uuid: park-b }, notify: { base_url: "http://127.0.0.1:9/sp-b" } }`;

function stockYaml(id: string, partners: string): string {
  return `
  ${id}:
    partners: [${partners}]
    park_uuid: park-${id}
    api_store_code: store-${id}
    api_type: tencent-sp
    app_id: wx-own
    stock_name: 归属测试
    coupon_type: 1
    face_value_fen: 300
    max_coupons: 1000
    max_coupons_per_user: 10
    available_begin_time: '2020-01-01T00:00:00.000+08:00'
    available_end_time: '2035-01-01T00:00:00.000+08:00'
    stock_status: 3`;
}

let stack: Stack;
before(async () => {
  const mappings = testMappings(
    stockYaml('shared-stock', 'sp-test, sp-b') +
      stockYaml('a-sync-stock', 'sp-test') +
      stockYaml('b-stock', 'sp-b'),
  );
  stack = await startStack({ mappings, extraYaml: partnersYaml });
});
after(async () => {
  await stack.close();
});

const pyunCalls = () => stack.sandbox.requests({ target: 'pyun' });
const store = () => stack.running.rt.store;

async function claim(
  stockId = 'cb-demo-001',
  as?: Credentials,
  requestId = randomUUID().replace(/-/g, ''),
): Promise<{ res: { json: any }; coupon?: CouponRecord }> {
  const res = await stack.tencent(
    '/tencent/sp/coupon/receive',
    {
      app_channel_id: 0,
      user_code: 'u-own',
      stock_id: stockId,
      request_id: requestId,
      extra: '{"plate":"粤B660PP"}',
    },
    { creds: as },
  );
  const couponId = res.json.data?.coupon_id as string | undefined;
  return { res, coupon: couponId ? await store().getCoupon({ couponId }) : undefined };
}

/** An available coupon of `partner` whose grant serial fits Tencent's 20-character coupon_id. */
async function seeded(partner = 'sp-test', stockId = 'cb-demo-001'): Promise<CouponRecord> {
  const couponId = `S${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const { coupon } = await store().upsertCoupon(
    {
      id: `test:${couponId}`,
      stockId,
      partner,
      couponId,
      userCode: 'u-own',
      grantSerial: `G${couponId}`,
      parkUuid: 'park-from-ledger',
      faceValue: 500,
      state: 'available',
    },
    { actor: 'test', at: new Date() },
  );
  return coupon;
}

function statusSync(couponId: string, status: 2 | 3, stockId = 'cb-demo-001'): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-own',
    stock_id: stockId,
    coupon_id: couponId,
    coupon_status: status,
    usage_time: '2024-03-01T10:15:30.120+08:00',
    event_time: '2024-03-01T10:15:31.000+08:00',
  };
}

/** The answer with the coupon reference blanked, to compare an attack with a truly unknown coupon. */
const shape = (json: any, ref: string) => ({
  ...json,
  message: String(json.message).replaceAll(ref, '<ref>'),
});

describe('T1 status sync: another SP’s coupon is unknown', () => {
  test('SP B redeeming or expiring SP A’s coupon, by coupon_id or grant serial, gets 400211 and P云 gets nothing', async () => {
    const coupon = await seeded();
    stack.sandbox.clear();
    const unknownRef = `NOPE${randomUUID().slice(0, 8)}`;
    const unknown = await stack.tencent('/tencent/coupon/status/rsync', statusSync(unknownRef, 2), {
      creds: spB,
    });
    assert.equal(unknown.json.code, 400211, unknown.body);
    for (const ref of [coupon.couponId!, coupon.grantSerial!]) {
      for (const status of [2, 3] as const) {
        const res = await stack.tencent('/tencent/coupon/status/rsync', statusSync(ref, status), {
          creds: spB,
        });
        assert.equal(res.status, unknown.status);
        assert.deepEqual(
          shape(res.json, ref),
          shape(unknown.json, unknownRef),
          'indistinguishable from unknown',
        );
      }
    }
    assert.equal(pyunCalls().length, 0, 'nothing sent to P云');
    assert.equal((await store().getCoupon({ id: coupon.id }))?.state, 'available');
    const own = await stack.tencent('/tencent/coupon/status/rsync', statusSync(coupon.couponId!, 2));
    assert.deepEqual(own.json, { code: 0, message: 'successful' });
    assert.equal(parseForm(pyunCalls().at(-1)!.body).grant_serial, coupon.grantSerial);
  });

  test('the owner reaches its coupon by grant serial as well as coupon id', async () => {
    const coupon = await seeded();
    stack.sandbox.clear();
    const res = await stack.tencent('/tencent/coupon/status/rsync', statusSync(coupon.grantSerial!, 3));
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    assert.equal(parseForm(pyunCalls()[0].body).grant_serial, coupon.grantSerial);
    assert.equal((await store().getCoupon({ id: coupon.id }))?.state, 'expired');
  });

  test('a Dianping-origin coupon is not reachable through T1 by its grant serial', async () => {
    const grantSerial = `GDP${randomUUID().slice(0, 8)}`;
    await store().upsertCoupon(
      {
        id: `dianping:${grantSerial}`,
        stockId: 'dianping',
        partner: 'pos-test',
        couponCode: grantSerial,
        grantSerial,
        state: 'available',
      },
      { actor: 'test', at: new Date() },
    );
    stack.sandbox.clear();
    const res = await stack.tencent('/tencent/coupon/status/rsync', statusSync(grantSerial, 2));
    assert.equal(res.json.code, 400211);
    assert.equal(pyunCalls().length, 0);
  });

  test('an unknown coupon is refused by default (grant_serial_fallback: none), nothing sent', async () => {
    stack.sandbox.clear();
    const res = await stack.tencent(
      '/tencent/coupon/status/rsync',
      statusSync(`UNK${randomUUID().slice(0, 8)}`, 2),
    );
    assert.equal(res.json.code, 400211);
    assert.equal(res.status, 404);
    assert.equal(pyunCalls().length, 0);
  });

  test('/coupon/rsync from SP B cannot register over SP A’s coupon', async () => {
    const { coupon } = await claim();
    stack.sandbox.clear();
    const res = await stack.tencent(
      '/tencent/coupon/rsync',
      {
        ...statusSync(coupon!.couponId!, 2),
        app_id: 'wx-b',
        coupon_type: 1,
        fixed_normal_coupon: { coupon_amount: 1, transaction_minimum: 0 },
        available_begin_time: '2024-01-01T00:00:00.000+08:00',
        available_end_time: '2030-01-01T00:00:00.000+08:00',
        receive_time: '2024-02-01T00:00:00.000+08:00',
      },
      { creds: spB },
    );
    assert.equal(res.json.code, 400211, res.body);
    assert.equal(pyunCalls().length, 0);
    const after = await store().getCoupon({ id: coupon!.id });
    assert.equal(after?.partner, 'sp-test');
    assert.equal(after?.state, 'available');
    assert.equal(after?.faceValue, 500);
  });
});

describe('T1 /coupon/rsync under grant_serial_fallback: none', () => {
  test('a new coupon is registered for the caller, but with no P云 grant serial a used one is not sent', async () => {
    stack.sandbox.clear();
    const couponId = `R${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const res = await stack.tencent('/tencent/coupon/rsync', {
      ...statusSync(couponId, 2),
      app_id: 'wx-a',
      coupon_type: 1,
      fixed_normal_coupon: { coupon_amount: 500, transaction_minimum: 0 },
      available_begin_time: '2024-01-01T00:00:00.000+08:00',
      available_end_time: '2030-01-01T00:00:00.000+08:00',
      receive_time: '2024-02-01T00:00:00.000+08:00',
    });
    assert.equal(res.json.code, 400211, res.body);
    assert.match(res.json.message, /no P云 grant serial/);
    assert.equal(pyunCalls().length, 0, 'the coupon_id is not sent as a grant serial');
    const c = await store().getCoupon({ couponId });
    assert.equal(c?.partner, 'sp-test');
    assert.equal(c?.state, 'available');
  });
});

describe('T4 deactivate: another SP’s coupon is unknown', () => {
  test('single and batch from SP B on SP A’s coupon: 400211, nothing changes, nothing enqueued', async () => {
    const { coupon: a } = await claim();
    const { coupon: b } = await claim('b-stock', spB);
    assert.ok(a && b);
    const before = (await store().listOutbox({ destination: 'pyun' })).length;
    const single = await stack.tencent(
      '/tencent/sp/coupon/deactivate',
      {
        app_channel_id: 0,
        user_code: 'u-own',
        stock_id: a.stockId,
        coupon_id: a.couponId,
        coupon_status: 3,
        reason: 'x',
      },
      { creds: spB },
    );
    assert.equal(single.json.code, 400211, single.body);
    const batch = await stack.tencent(
      '/tencent/sp/coupon/batch/deactivate',
      {
        app_channel_id: 0,
        user_code: 'u-own',
        coupon_status: 4,
        reason: 'x',
        coupons: [
          { stock_id: b.stockId, coupon_id: b.couponId },
          { stock_id: a.stockId, coupon_id: a.couponId },
        ],
      },
      { creds: spB },
    );
    assert.equal(batch.json.code, 400211, batch.body);
    assert.equal((await store().getCoupon({ id: a.id }))?.state, 'available');
    assert.equal((await store().getCoupon({ id: b.id }))?.state, 'available');
    assert.equal((await store().listOutbox({ destination: 'pyun' })).length, before, 'nothing enqueued');
  });
});

describe('T2 claim and T3 query: stocks belong to the partners the catalogue names', () => {
  test('SP B claiming or querying a stock only SP A may use gets 400201 and P云 gets nothing', async () => {
    stack.sandbox.clear();
    const { res } = await claim('cb-demo-001', spB);
    assert.equal(res.json.code, 400201, JSON.stringify(res.json));
    assert.equal(pyunCalls().length, 0);
    const query = (as?: Credentials) =>
      stack.tencent('/tencent/sp/stock/query', { app_channel_id: 0, stock_id: 'cb-demo-001' }, { creds: as });
    assert.equal((await query(spB)).json.code, 400201);
    assert.equal((await query()).json.code, 0);
  });

  test('the same request_id from two SPs on a shared stock: two P云 events with distinct derived event_ids, two coupons', async () => {
    stack.sandbox.clear();
    const requestId = randomUUID().replace(/-/g, '');
    const a = await claim('shared-stock', undefined, requestId);
    const b = await claim('shared-stock', spB, requestId);
    assert.equal(a.res.json.code, 0, JSON.stringify(a.res.json));
    assert.equal(b.res.json.code, 0, JSON.stringify(b.res.json));
    const events = stack.sandbox
      .requests({ target: 'pyun', path: '/gate/1.0/parking/mcoupon/event' })
      .map((r) => parseForm(r.body).event_id);
    assert.equal(events.length, 2);
    assert.notEqual(events[0], events[1]);
    for (const e of events) assert.match(e, /^E[A-Z2-7]{31}$/);
    assert.ok(!events.includes(requestId), 'the raw request_id is not the event_id');
    assert.notEqual(a.coupon?.grantSerial, b.coupon?.grantSerial);
    assert.equal(a.coupon?.partner, 'sp-test');
    assert.equal(b.coupon?.partner, 'sp-b');
  });

  test('a reservation whose activation fails is released: the quota does not leak', async () => {
    const pyun = stack.running.rt.upstreams.get('pyun')!;
    const real = pyun.client;
    const grantSerial = `GFIXED${randomUUID().slice(0, 8)}`;
    const fixed: UpstreamClient = {
      async send() {
        const body = JSON.stringify({ code: '1001', message: 'ok', payload: { grant_serial: grantSerial } });
        return { status: 200, headers: { 'content-type': 'application/json' }, body, elapsedMs: 1 };
      },
      close: () => real.close(),
    };
    pyun.client = fixed;
    try {
      const first = await claim('b-stock', spB);
      assert.equal(first.res.json.code, 0);
      const issued = (await store().stockCounts('b-stock')).issued;
      const second = await claim('b-stock', spB);
      assert.notEqual(second.res.json.code, 0, 'P云 answered a grant serial the ledger already holds');
      assert.equal(
        (await store().stockCounts('b-stock')).issued,
        issued,
        'the failed reservation was released',
      );
    } finally {
      pyun.client = real;
    }
  });
});

describe('T5 stock sync: only an allowed SP, and only the presentation', () => {
  function stockSync(stockId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      stock_id: stockId,
      app_id: 'wx-synced',
      app_channel_id: 0,
      stock_name: '同步后的名称',
      instructions: '同步说明',
      coupon_name: '同步券',
      coupon_desc: '同步描述',
      coupon_type: 3,
      discount_coupon: { discount_percent: 10, discount_amount_max: 99999 },
      max_coupons: 999999,
      max_coupons_per_user: 999,
      available_begin_time: '2001-01-01T00:00:00.000+08:00',
      available_end_time: '2099-01-01T00:00:00.000+08:00',
      create_time: '2024-01-01T00:00:00.000+08:00',
      stock_status: 3,
      ...over,
    };
  }

  test('SP B syncing a stock it is not allowed on gets 400201: nothing recorded, nothing forwarded', async () => {
    const seqId = randomUUID();
    const res = await stack.tencent(
      '/tencent/stock/rsync',
      { seq_id: seqId, ...stockSync('a-sync-stock') },
      { creds: spB },
    );
    assert.equal(res.json.code, 400201, res.body);
    assert.equal(await store().getStockSync('a-sync-stock'), undefined);
    const forwarded = (await store().listOutbox({ destination: 'tencent' })).filter(
      (i) => i.dedupKey === seqId,
    );
    assert.deepEqual(forwarded, []);
    const status = await stack.tencent(
      '/tencent/stock/status/rsync',
      { stock_id: 'cb-demo-001', stock_status: 4 },
      { creds: spB },
    );
    assert.equal(status.json.code, 400201);
    assert.equal((await claim()).res.json.code, 0, 'SP A’s stock still runs');
  });

  test('the owner’s sync changes the presentation, never the face value, type, quotas or validity', async () => {
    const res = await stack.tencent('/tencent/stock/rsync', stockSync('a-sync-stock'));
    assert.deepEqual(res.json, { code: 0, message: 'successful' });
    const v = await stockView(store(), stack.running.rt.table.stocks, 'a-sync-stock', 'sp-test');
    assert.equal(v?.stock_name, '同步后的名称');
    assert.equal(v?.app_id, 'wx-synced');
    assert.equal(v?.coupon_type, 1);
    assert.equal(v?.face_value_fen, 300);
    assert.equal(v?.discount_percent, undefined);
    assert.equal(v?.max_coupons, 1000);
    assert.equal(v?.max_coupons_per_user, 10);
    assert.equal(v?.available_begin_time, '2020-01-01T00:00:00.000+08:00');
    assert.equal(v?.available_end_time, '2035-01-01T00:00:00.000+08:00');
    const query = await stack.tencent('/tencent/sp/stock/query', {
      app_channel_id: 0,
      stock_id: 'a-sync-stock',
    });
    assert.equal(query.json.data.max_coupons, 1000);
    assert.equal(query.json.data.fixed_normal_coupon.coupon_amount, 300);
  });
});

describe('P1 fan-out: each coupon is notified to its owner only', () => {
  test('a push naming coupons of SP A and SP B enqueues one notification each, to the owner’s destination', async () => {
    const { coupon: a } = await claim('shared-stock');
    const { coupon: b } = await claim('shared-stock', spB);
    const paySerial = `PAY${randomUUID().slice(0, 8)}`;
    const mcoupons = [a!, b!].map((c) => pushedCoupon(c.grantSerial!, c.couponId!));
    const res = await stack.sandbox.push(`${stack.url}/pyun/notify/payment`, {
      park_uuid: 'park-x',
      park_name: 'P云支付体验-停车场',
      parking_serial: '591668151763415041',
      pay_serial: paySerial,
      pay_value: '100',
      pay_time: '1618994563000',
      plate: '粤B660PP',
      channel: '200102',
      identity: '5aeV05nlt6/ig4LplITisYg=',
      discounts: '[]',
      mcoupons: JSON.stringify(mcoupons),
    });
    assert.equal(JSON.parse(res.body).code, '1001', res.body);
    const items = (await store().listOutbox()).filter(
      (i) => i.dedupKey !== '' && i.kind === 'tencent.coupon_status_rsync',
    );
    const to = (c: CouponRecord) =>
      items
        .filter((i) => (i.payload as { coupon_id?: string }).coupon_id === c.couponId)
        .map((i) => i.destination);
    assert.deepEqual(to(a!), ['tencent'], 'SP A’s coupon goes to SP A’s destination only');
    assert.deepEqual(to(b!), ['sp-b'], 'SP B’s coupon goes to SP B’s own notify URL only');
    assert.equal((await store().getCoupon({ id: a!.id }))?.state, 'used');
    assert.equal((await store().getCoupon({ id: b!.id }))?.state, 'used');
  });
});
