/**
 * The store contract: every Store implementation must pass these tests. sqlite.test.ts and
 * postgres.test.ts run them against a real database each; every test gets a fresh database, and
 * races run across two Store instances on it (two "processes" sharing one database).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCbError, type CbCode } from '../../src/errors';
import type { CouponState } from '../../src/ledger/state-machine';
import type {
  AnomalyInput,
  CouponReservation,
  OutboxItemInput,
  Period,
  Store,
  StoredAnswer,
  TransferRecord,
  TransitionMeta,
} from '../../src/store/types';

export interface TestDatabase {
  /** A new Store on this database; a second call stands for a second instance. */
  open(): Promise<Store>;
  drop(): Promise<void>;
}

const t0 = new Date('2025-03-01T08:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const meta = (ms = 0, extra: Partial<TransitionMeta> = {}): TransitionMeta => ({
  actor: 'tencent-sp',
  at: at(ms),
  ...extra,
});
const count = <T>(xs: T[], x: T): number => xs.filter((y) => y === x).length;

function rejectsWith(code: CbCode): (e: unknown) => boolean {
  return (e: unknown) => isCbError(e) && e.code === code;
}

function reservation(id: string, over: Partial<CouponReservation> = {}): CouponReservation {
  return { id, stockId: 'stock-1', partner: 'tencent-sp', userCode: `user-${id}`, ...over };
}

function item(dedupKey: string, over: Partial<OutboxItemInput> = {}): OutboxItemInput {
  return {
    kind: 'tencent.coupon_status_rsync',
    v: 1,
    destination: 'tencent-sp',
    dedupKey,
    payload: { coupon_id: dedupKey, coupon_status: 2 },
    notBefore: t0,
    ...over,
  };
}

export function runStoreContract(name: string, newDatabase: () => Promise<TestDatabase>): void {
  describe(`store contract: ${name}`, () => {
    let db: TestDatabase;
    let store: Store;
    const others: Store[] = [];

    /** A second instance on the same database. */
    async function second(): Promise<Store> {
      const s = await db.open();
      others.push(s);
      return s;
    }

    /** An available coupon, created the way a claim creates it. */
    async function available(id: string, over: Partial<CouponReservation> = {}): Promise<void> {
      assert.equal(
        await store.reserveCoupon(reservation(id, over), { maxCoupons: 1e6, maxPerUser: 1e6 }, meta()),
        'reserved',
      );
      await store.activateCoupon(id, { couponId: `C-${id}`, grantSerial: `G-${id}` }, meta(1));
    }

    beforeEach(async () => {
      db = await newDatabase();
      store = await db.open();
    });

    afterEach(async () => {
      await Promise.all([store, ...others.splice(0)].map((s) => s.close()));
      await db.drop();
    });

    describe('migrations', () => {
      test('applies the migrations at open and nothing more on reopen, keeping the data', async () => {
        const version = await store.schemaVersion();
        assert.ok(version >= 1);
        await available('c1');
        await store.close();
        store = await db.open();
        assert.equal(await store.schemaVersion(), version);
        assert.equal((await store.getCoupon({ id: 'c1' }))?.state, 'available');
      });

      test('lets two instances open the same database at once', async () => {
        const [a, b] = await Promise.all([second(), second()]);
        assert.equal(await a.schemaVersion(), await store.schemaVersion());
        assert.equal(await b.schemaVersion(), await store.schemaVersion());
      });

      test('answers a ping, and CB_STORE_UNAVAILABLE once closed', async () => {
        await store.ping();
        await store.close();
        await assert.rejects(store.ping(), rejectsWith('CB_STORE_UNAVAILABLE'));
      });
    });

    describe('idempotency', () => {
      const k = { partner: 'tencent-sp', route: 'tencent.coupon.receive', key: 'req-1' };
      const answer: StoredAnswer = {
        status: 409,
        contentType: 'application/json; charset=utf-8',
        body: '{"code":400000,"message":"参数错误 \\u00e9"}\r\n  \u0000 😀 \t',
      };

      test('gives exactly one of 50 concurrent begins on one key the new state', async () => {
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? other : store).idemBegin(k, 'fp-1', at(i))),
        );
        assert.equal(
          count(
            results.map((r) => r.state),
            'new',
          ),
          1,
        );
        for (const r of results.filter((x) => x.state !== 'new')) {
          assert.equal(r.state, 'started');
          assert.equal(r.state === 'started' && r.fingerprint, 'fp-1');
        }
      });

      test('replays a finished answer byte for byte with its outcome and fingerprint', async () => {
        assert.deepEqual(await store.idemBegin(k, 'fp-1', t0), { state: 'new' });
        assert.equal(await store.idemFinish(k, answer, 'terminal', at(50)), true);
        assert.deepEqual(await store.idemBegin(k, 'fp-2', at(100)), {
          state: 'finished',
          fingerprint: 'fp-1',
          answer,
          outcome: 'terminal',
          finishedAt: at(50),
        });
      });

      test('reports a started record with its fingerprint and start time', async () => {
        await store.idemBegin(k, 'fp-1', t0);
        assert.deepEqual(await store.idemBegin(k, 'fp-1', at(10)), {
          state: 'started',
          fingerprint: 'fp-1',
          startedAt: t0,
        });
      });

      test('keeps the first answer when a second finish arrives', async () => {
        await store.idemBegin(k, 'fp-1', t0);
        assert.equal(await store.idemFinish(k, answer, 'success', at(1)), true);
        assert.equal(await store.idemFinish(k, { ...answer, body: 'other' }, 'terminal', at(2)), false);
        const r = await store.idemBegin(k, 'fp-1', at(3));
        assert.equal(r.state === 'finished' && r.answer.body, answer.body);
        assert.equal(r.state === 'finished' && r.outcome, 'success');
      });

      test('keeps keys apart by partner and by route', async () => {
        await store.idemBegin(k, 'fp', t0);
        assert.equal((await store.idemBegin({ ...k, partner: 'other' }, 'fp', t0)).state, 'new');
        assert.equal((await store.idemBegin({ ...k, route: 'other' }, 'fp', t0)).state, 'new');
        assert.equal((await store.idemBegin({ ...k, key: 'req-2' }, 'fp', t0)).state, 'new');
      });

      test('lets a retry run again after a retryable failure, but never abandons a finished answer', async () => {
        await store.idemBegin(k, 'fp', t0);
        assert.equal(await store.idemAbandon(k), true);
        assert.equal((await store.idemBegin(k, 'fp', at(1))).state, 'new');
        await store.idemFinish(k, answer, 'success', at(2));
        assert.equal(await store.idemAbandon(k), false);
        assert.equal((await store.idemBegin(k, 'fp', at(3))).state, 'finished');
      });

      test('hands a stale started record to exactly one of 20 concurrent reclaimers', async () => {
        await store.idemBegin(k, 'fp', t0);
        assert.equal(
          await store.idemReclaimStale(k, t0, at(1)),
          false,
          'a record begun at the cut-off is not stale',
        );
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : store).idemReclaimStale(k, at(30_000), at(60_000)),
          ),
        );
        assert.equal(count(results, true), 1);
        assert.deepEqual(await store.idemBegin(k, 'fp', at(60_001)), {
          state: 'started',
          fingerprint: 'fp',
          startedAt: at(60_000),
        });
      });

      test('never reclaims a finished record', async () => {
        await store.idemBegin(k, 'fp', t0);
        await store.idemFinish(k, answer, 'success', at(1));
        assert.equal(await store.idemReclaimStale(k, at(60_000), at(60_000)), false);
        assert.equal((await store.idemBegin(k, 'fp', at(60_001))).state, 'finished');
      });

      test('purges finished records older than the cut-off and leaves started ones', async () => {
        const done = { ...k, key: 'done' };
        const late = { ...k, key: 'late' };
        await store.idemBegin(done, 'fp', t0);
        await store.idemFinish(done, answer, 'success', at(10));
        await store.idemBegin(late, 'fp', at(20));
        await store.idemFinish(late, answer, 'success', at(5_000));
        await store.idemBegin(k, 'fp', t0);
        assert.equal(await store.purgeIdempotency(at(1_000)), 1);
        assert.equal((await store.idemBegin(done, 'fp', at(6_000))).state, 'new');
        assert.equal((await store.idemBegin(late, 'fp', at(6_000))).state, 'finished');
        assert.equal((await store.idemBegin(k, 'fp', at(6_000))).state, 'started');
      });
    });

    describe('nonces', () => {
      test('remembers a nonce for exactly one of 50 concurrent callers', async () => {
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            (i % 2 ? other : store).rememberNonce('api-key-1', 'n-1', at(300_000), t0),
          ),
        );
        assert.equal(count(results, true), 1);
      });

      test('refuses a nonce until it expires, per scope', async () => {
        assert.equal(await store.rememberNonce('api-key-1', 'n-1', at(300_000), t0), true);
        assert.equal(await store.rememberNonce('api-key-1', 'n-1', at(301_000), at(299_999)), false);
        assert.equal(await store.rememberNonce('api-key-2', 'n-1', at(300_000), t0), true);
        assert.equal(await store.rememberNonce('api-key-1', 'n-1', at(600_000), at(300_000)), true);
        assert.equal(await store.rememberNonce('api-key-1', 'n-1', at(900_000), at(599_999)), false);
      });

      test('remembers a batch in one call, one result per entry, a repeat inside the batch refused', async () => {
        const got = await store.rememberNonces(
          [
            { scope: 'b', nonce: 'n1', expiresAt: at(300_000) },
            { scope: 'b', nonce: 'n2', expiresAt: at(300_000) },
            { scope: 'b', nonce: 'n1', expiresAt: at(300_000) },
          ],
          t0,
        );
        assert.deepEqual(got, [true, true, false]);
        assert.equal(await store.rememberNonce('b', 'n2', at(300_000), t0), false);
      });

      test('purges only expired nonces', async () => {
        await store.rememberNonce('s', 'old', at(1_000), t0);
        await store.rememberNonce('s', 'new', at(10_000), t0);
        assert.equal(await store.purgeNonces(at(5_000)), 1);
        assert.equal(await store.rememberNonce('s', 'new', at(20_000), at(5_000)), false);
      });
    });

    describe('stocks', () => {
      test('records a stock sync and keeps its presentation through a status-only sync', async () => {
        const presentation = {
          stock_name: '停车券',
          coupon_type: 1,
          fixed_normal_coupon: { coupon_amount: 1000 },
        };
        assert.equal(await store.getStockSync('stock-1'), undefined);
        await store.upsertStockSync({ stockId: 'stock-1', status: 3, presentation, updatedAt: t0 });
        await store.upsertStockSync({ stockId: 'stock-1', status: 4, updatedAt: at(1) });
        assert.deepEqual(await store.getStockSync('stock-1'), {
          stockId: 'stock-1',
          status: 4,
          presentation,
          updatedAt: at(1),
        });
      });

      test('stores a stock sync and its forward notification together', async () => {
        await store.upsertStockSync({ stockId: 'stock-1', status: 3, updatedAt: t0 }, [item('seq-1')]);
        assert.equal((await store.listOutbox()).length, 1);
      });
    });

    describe('coupons', () => {
      test('counts released reservations out and synced coupons in against the quota', async () => {
        const limits = { maxCoupons: 3, maxPerUser: 10 };
        assert.equal(
          await store.reserveCoupon(reservation('q1', { stockId: 'qs' }), limits, meta()),
          'reserved',
        );
        assert.equal(
          await store.reserveCoupon(reservation('q2', { stockId: 'qs' }), limits, meta()),
          'reserved',
        );
        await store.releaseCoupon('q2', meta(1));
        await store.upsertCoupon(
          { id: 'q-sync', stockId: 'qs', partner: 'tencent-sp', state: 'available' },
          meta(2),
        );
        assert.equal(
          await store.reserveCoupon(reservation('q3', { stockId: 'qs' }), limits, meta(3)),
          'reserved',
        );
        assert.equal(
          await store.reserveCoupon(reservation('q4', { stockId: 'qs' }), limits, meta(4)),
          'quota_exhausted',
        );
        assert.equal((await store.stockCounts('qs')).issued, 3);
        assert.equal(
          await store.reserveCoupon(reservation('q5', { stockId: 'other-stock' }), limits, meta(5)),
          'reserved',
        );
      });

      test('reserves exactly 50 of 200 concurrent claims on a stock of 50', async () => {
        const other = await second();
        const limits = { maxCoupons: 50, maxPerUser: 1 };
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            (i % 2 ? other : store).reserveCoupon(reservation(`r${i}`), limits, meta()),
          ),
        );
        assert.equal(count(results, 'reserved'), 50);
        assert.equal(count(results, 'quota_exhausted'), 150);
        const counts = await store.stockCounts('stock-1');
        assert.equal(counts.issued, 50);
        assert.equal(counts.byState.pending, 50);
      });

      test('reserves exactly the per-user limit among 30 concurrent claims of one user', async () => {
        const other = await second();
        const limits = { maxCoupons: 100, maxPerUser: 3 };
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 ? other : store).reserveCoupon(
              reservation(`r${i}`, { userCode: 'alice' }),
              limits,
              meta(),
            ),
          ),
        );
        assert.equal(count(results, 'reserved'), 3);
        assert.equal(count(results, 'user_quota_exhausted'), 27);
        assert.equal(
          await store.reserveCoupon(reservation('bob-1', { userCode: 'bob' }), limits, meta()),
          'reserved',
        );
      });

      test('counts the quota per stock and frees it when a reservation is released', async () => {
        const limits = { maxCoupons: 1, maxPerUser: 1 };
        assert.equal(await store.reserveCoupon(reservation('a'), limits, meta()), 'reserved');
        assert.equal(await store.reserveCoupon(reservation('b'), limits, meta()), 'quota_exhausted');
        assert.equal(
          await store.reserveCoupon(reservation('c', { stockId: 'stock-2' }), limits, meta()),
          'reserved',
        );
        await store.releaseCoupon('a', meta(5, { reason: 'P云 1002' }));
        assert.equal(await store.getCoupon({ id: 'a' }), undefined);
        assert.equal(await store.reserveCoupon(reservation('b'), limits, meta()), 'reserved');
        assert.deepEqual(
          (await store.history('a')).map((h) => [h.from, h.to, h.reason]),
          [
            [null, 'pending', undefined],
            ['pending', null, 'P云 1002'],
          ],
        );
      });

      test("activates a pending reservation with P云's grant and records it", async () => {
        await store.reserveCoupon(
          reservation('c1', { eventId: 'req-1', faceValue: 500, validFrom: '2025-03-01T00:00:00.000+08:00' }),
          { maxCoupons: 5, maxPerUser: 5 },
          meta(0, { exchangeId: 'ex-1' }),
        );
        const c = await store.activateCoupon(
          'c1',
          { couponId: 'G1', grantSerial: 'G1', parkUuid: 'park-9' },
          meta(10, { exchangeId: 'ex-1' }),
        );
        assert.equal(c.state, 'available');
        assert.equal(c.couponId, 'G1');
        assert.equal(c.parkUuid, 'park-9');
        assert.equal(c.faceValue, 500, 'fields the patch leaves out keep their value');
        assert.equal(c.validFrom, '2025-03-01T00:00:00.000+08:00');
        assert.equal(c.createdAt.getTime(), t0.getTime());
        assert.equal(c.updatedAt.getTime(), at(10).getTime());
        assert.deepEqual(await store.history('c1'), [
          {
            couponRef: 'c1',
            from: null,
            to: 'pending',
            at: t0,
            actor: 'tencent-sp',
            exchangeId: 'ex-1',
            reason: undefined,
          },
          {
            couponRef: 'c1',
            from: 'pending',
            to: 'available',
            at: at(10),
            actor: 'tencent-sp',
            exchangeId: 'ex-1',
            reason: undefined,
          },
        ]);
      });

      test("activates and finishes the claim's idempotency record in one transaction, or neither", async () => {
        const k = { partner: 'tencent-sp', route: 'tencent.coupon.receive', key: 'req-7' };
        const answer: StoredAnswer = { status: 200, contentType: 'application/json', body: '{"code":0}' };
        assert.deepEqual(await store.idemBegin(k, 'fp-7', t0), { state: 'new' });
        await store.reserveCoupon(reservation('c7'), { maxCoupons: 5, maxPerUser: 5 }, meta());
        const c = await store.activateCoupon('c7', { couponId: 'G7', grantSerial: 'G7' }, meta(10), {
          k,
          answer,
          outcome: 'success',
          now: at(10),
        });
        assert.equal(c.state, 'available');
        assert.deepEqual(await store.idemBegin(k, 'fp-7', at(20)), {
          state: 'finished',
          fingerprint: 'fp-7',
          answer,
          outcome: 'success',
          finishedAt: at(10),
        });
        // an activation refused rolls the finish back with it
        const k8 = { ...k, key: 'req-8' };
        assert.deepEqual(await store.idemBegin(k8, 'fp-8', t0), { state: 'new' });
        await assert.rejects(
          store.activateCoupon('c7', {}, meta(30), { k: k8, answer, outcome: 'success', now: at(30) }),
          rejectsWith('CB_ILLEGAL_TRANSITION'),
        );
        const b = await store.idemBegin(k8, 'fp-8', at(40));
        assert.equal(b.state, 'started');
      });

      test('refuses to activate or release a coupon that is not pending, or unknown', async () => {
        await available('c1');
        await assert.rejects(store.activateCoupon('c1', {}, meta(2)), rejectsWith('CB_ILLEGAL_TRANSITION'));
        await assert.rejects(store.releaseCoupon('c1', meta(2)), rejectsWith('CB_ILLEGAL_TRANSITION'));
        await assert.rejects(store.activateCoupon('nope', {}, meta(2)), rejectsWith('CB_COUPON_NOT_FOUND'));
        await assert.rejects(store.releaseCoupon('nope', meta(2)), rejectsWith('CB_COUPON_NOT_FOUND'));
        assert.equal((await store.getCoupon({ id: 'c1' }))?.state, 'available');
        assert.equal((await store.history('c1')).length, 2);
      });

      test('registers a synced coupon once and updates its identity but never its state', async () => {
        const synced = {
          id: 'tc-1',
          stockId: 'stock-1',
          partner: 'tencent-sp',
          couponId: 'T1',
          state: 'used' as const,
        };
        const first = await store.upsertCoupon(
          { ...synced, attrs: { usage_time: '2025-03-01T10:00:00.000+08:00' } },
          meta(),
        );
        assert.equal(first.created, true);
        assert.equal(first.coupon.state, 'used');
        const again = await store.upsertCoupon(
          { ...synced, state: 'available', parkUuid: 'park-1' },
          meta(5),
        );
        assert.equal(again.created, false);
        assert.equal(again.coupon.state, 'used');
        assert.equal(again.coupon.parkUuid, 'park-1');
        assert.deepEqual(again.coupon.attrs, { usage_time: '2025-03-01T10:00:00.000+08:00' });
        assert.deepEqual(
          (await store.history('tc-1')).map((h) => [h.from, h.to]),
          [[null, 'used']],
        );
      });

      test('refuses to register a synced coupon as pending', async () => {
        const pending = { id: 'x', stockId: 's', partner: 'p', state: 'pending' } as unknown as Parameters<
          Store['upsertCoupon']
        >[0];
        await assert.rejects(store.upsertCoupon(pending, meta()));
        assert.equal(await store.getCoupon({ id: 'x' }), undefined);
      });

      test('finds a coupon by ledger id, Tencent coupon_id, P云 grant serial or Dianping code', async () => {
        await available('c1', { couponCode: 'DP85' });
        await available('c2', { couponCode: 'DP95' });
        for (const q of [
          { id: 'c1' },
          { couponId: 'C-c1' },
          { grantSerial: 'G-c1' },
          { couponCode: 'DP85' },
        ]) {
          assert.equal((await store.getCoupon(q))?.id, 'c1', JSON.stringify(q));
        }
        assert.equal(await store.getCoupon({ couponId: 'G-c1' }), undefined);
        assert.equal(await store.getCoupon({}), undefined);
      });

      test('applies a legal transition and records who, when and in which exchange', async () => {
        await available('c1');
        const r = await store.transition(['c1'], 'used', {
          actor: 'dianping-pos',
          at: at(100),
          exchangeId: 'ex-9',
        });
        assert.equal(r.applied, true);
        assert.equal(r.applied && r.coupons[0].state, 'used');
        const last = (await store.history('c1')).at(-1);
        assert.deepEqual(last, {
          couponRef: 'c1',
          from: 'available',
          to: 'used',
          at: at(100),
          actor: 'dianping-pos',
          exchangeId: 'ex-9',
          reason: undefined,
        });
      });

      test('refuses an illegal transition, names the coupon and its state, and changes nothing', async () => {
        await available('c1');
        await store.transition(['c1'], 'used', meta(2));
        const before = await store.history('c1');
        const r = await store.transition(['c1'], 'available', meta(3));
        assert.deepEqual(r, {
          applied: false,
          illegal: [{ id: 'c1', couponId: 'C-c1', stockId: 'stock-1', state: 'used' }],
          missing: [],
        });
        assert.equal((await store.getCoupon({ id: 'c1' }))?.state, 'used');
        assert.deepEqual(await store.history('c1'), before);
      });

      test('applies a batch to all coupons or to none', async () => {
        await available('a');
        await available('b');
        await available('c');
        await store.transition(['b'], 'used', meta(2));
        const refused = await store.transition(['a', 'b', 'ghost'], 'expired', meta(3));
        assert.equal(refused.applied, false);
        assert.deepEqual(!refused.applied && refused.illegal.map((x) => [x.id, x.state]), [['b', 'used']]);
        assert.deepEqual(!refused.applied && refused.missing, ['ghost']);
        assert.equal((await store.getCoupon({ id: 'a' }))?.state, 'available');
        const done = await store.transition(['a', 'c', 'a'], 'expired', meta(4));
        assert.deepEqual(done.applied && done.coupons.map((x) => [x.id, x.state]), [
          ['a', 'expired'],
          ['c', 'expired'],
        ]);
        assert.equal((await store.history('a')).length, 3, 'a repeated id is changed once');
      });

      test('lets exactly one of 20 concurrent redemptions of one coupon through', async () => {
        await available('c1');
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : store).transition(['c1'], 'used', meta(10 + i)),
          ),
        );
        assert.equal(results.filter((r) => r.applied).length, 1);
        assert.equal((await store.history('c1')).filter((h) => h.to === 'used').length, 1);
      });

      test('stores a transition’s notifications only when the transition applies', async () => {
        await available('c1');
        await store.transition(['c1'], 'used', meta(2));
        await store.transition(['c1'], 'expired', meta(3), [item('expire-c1')]);
        assert.equal((await store.listOutbox()).length, 0);
        await store.transition(['c1'], 'refunded', meta(4), [item('refund-c1')]);
        assert.deepEqual(
          (await store.listOutbox()).map((o) => o.dedupKey),
          ['refund-c1'],
        );
      });

      test('counts a stock’s coupons by state, pending included', async () => {
        await available('a');
        await available('b');
        await available('c', { stockId: 'stock-2' });
        await store.reserveCoupon(reservation('d'), { maxCoupons: 10, maxPerUser: 10 }, meta());
        await store.transition(['b'], 'used', meta(2));
        assert.deepEqual(await store.stockCounts('stock-1'), {
          issued: 3,
          byState: { pending: 1, available: 1, used: 1, expired: 0, invalid: 0, refunded: 0 },
        });
      });

      test('lists coupons by state and stock in creation order, page by page', async () => {
        for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
          await store.upsertCoupon(
            { id, stockId: id === 'd' ? 's2' : 's1', partner: 'p', state: 'available' },
            meta(i),
          );
        }
        await store.transition(['b'], 'used', meta(9));
        assert.deepEqual(
          (await store.listCoupons()).map((c) => c.id),
          ['a', 'b', 'c', 'd'],
        );
        assert.deepEqual(
          (await store.listCoupons({ state: 'available', stockId: 's1' })).map((c) => c.id),
          ['a', 'c'],
        );
        assert.deepEqual(
          (await store.listCoupons({ limit: 2, offset: 1 })).map((c) => c.id),
          ['b', 'c'],
        );
      });

      test('never lets any sequence of requested changes reach a state the state machine forbids', async () => {
        const legal = new Set(['available>used', 'available>expired', 'available>invalid', 'used>refunded']);
        const states: CouponState[] = ['pending', 'available', 'used', 'expired', 'invalid', 'refunded'];
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.subarray([0, 1, 2], { minLength: 1 }), fc.constantFrom(...states)), {
              maxLength: 12,
            }),
            async (ops) => {
              run += 1;
              const ids = [0, 1, 2].map((i) => `p${run}-${i}`);
              for (const id of ids) await available(id);
              const model = new Map(ids.map((id) => [id, 'available' as CouponState]));
              for (const [picked, to] of ops) {
                const batch = picked.map((i) => ids[i]);
                const allowed = batch.every((id) => legal.has(`${model.get(id)}>${to}`));
                const r = await store.transition(batch, to, meta(run));
                assert.equal(r.applied, allowed);
                if (allowed) for (const id of batch) model.set(id, to);
              }
              for (const id of ids) {
                assert.equal((await store.getCoupon({ id }))?.state, model.get(id));
                const h = await store.history(id);
                for (let i = 1; i < h.length; i += 1) assert.equal(h[i].from, h[i - 1].to);
                for (const step of h.slice(2))
                  assert.ok(legal.has(`${step.from}>${step.to}`), `${step.from}>${step.to}`);
              }
            },
          ),
          { numRuns: 25 },
        );
      });
    });

    describe('orders', () => {
      const order = {
        partner: 'dianping-pos',
        orderId: 'O-1',
        status: 'consumed' as const,
        couponCodes: ['DP85', 'DP95'],
        exchangeId: 'ex-1',
        createdAt: t0,
        updatedAt: t0,
      };

      test('stores an order and finds it by partner and order id', async () => {
        assert.equal(await store.putOrder(order), true);
        assert.deepEqual(await store.getOrder('dianping-pos', 'O-1'), { ...order, details: undefined });
        assert.equal(await store.getOrder('other-pos', 'O-1'), undefined);
      });

      test('inserts an order once with ifAbsent and updates it otherwise', async () => {
        assert.equal(await store.putOrder(order, { ifAbsent: true }), true);
        assert.equal(await store.putOrder({ ...order, couponCodes: ['X'] }, { ifAbsent: true }), false);
        const details = {
          shopName: '肯德基',
          orderAmount: 1999,
          payAmount: 999,
          freightFee: 0,
          attributes: { a: '1' },
        };
        assert.equal(await store.putOrder({ ...order, status: 'refunded', details, updatedAt: at(5) }), true);
        const got = await store.getOrder('dianping-pos', 'O-1');
        assert.equal(got?.status, 'refunded');
        assert.deepEqual(got?.couponCodes, ['DP85', 'DP95']);
        assert.deepEqual(got?.details, details);
        assert.equal(got?.createdAt.getTime(), t0.getTime());
        assert.equal(got?.updatedAt.getTime(), at(5).getTime());
      });
    });

    describe('journal', () => {
      const exchange = (id: string, ms: number, keys: string[]) => ({
        id,
        at: at(ms),
        route: 'tencent.coupon.receive',
        partner: 'tencent-sp',
        businessKeys: keys,
        outcome: 'success',
        durationMs: 12,
        data: {
          inbound: { body: '{"request_id":"req-1","mobile_phone":"139****2222"}' },
          answer: { code: 0 },
          备注: '✓',
        },
      });

      test('stores a fractional duration as whole milliseconds', async () => {
        await store.appendExchange({ ...exchange('ex-frac', 10, ['frac-key']), durationMs: 14.7 });
        assert.equal((await store.getExchange('ex-frac'))?.durationMs, 15);
      });

      test('appends a batch of exchanges in one call', async () => {
        await store.appendExchanges([
          exchange('ex-b1', 10, ['batch-key']),
          exchange('ex-b2', 20, ['batch-key']),
        ]);
        assert.deepEqual(
          (await store.findExchanges('batch-key')).map((e) => e.id),
          ['ex-b1', 'ex-b2'],
        );
      });

      test('finds an exchange by id and by each of its business keys, oldest first', async () => {
        await store.appendExchange(exchange('ex-2', 20, ['req-1', 'G1']));
        await store.appendExchange(exchange('ex-1', 10, ['req-1', 'req-1']));
        assert.deepEqual(await store.getExchange('ex-2'), exchange('ex-2', 20, ['G1', 'req-1']));
        assert.deepEqual(
          (await store.findExchanges('req-1')).map((e) => e.id),
          ['ex-1', 'ex-2'],
        );
        assert.deepEqual(
          (await store.findExchanges('G1')).map((e) => e.id),
          ['ex-2'],
        );
        assert.equal(await store.getExchange('nope'), undefined);
        assert.deepEqual(
          (await store.listExchanges({ limit: 1 })).map((e) => e.id),
          ['ex-2'],
        );
      });

      test('prunes the journal by age, then down to the newest rows, keys included', async () => {
        for (let i = 0; i < 5; i += 1) await store.appendExchange(exchange(`ex-${i}`, i * 1_000, [`k-${i}`]));
        assert.equal(await store.pruneJournal(2_500, 100, at(5_000)), 3);
        assert.equal(await store.pruneJournal(60_000, 1, at(5_000)), 1);
        assert.deepEqual(
          (await store.listExchanges()).map((e) => e.id),
          ['ex-4'],
        );
        assert.deepEqual(await store.findExchanges('k-0'), []);
        assert.deepEqual(await store.findExchanges('k-3'), []);
      });
    });

    describe('outbox', () => {
      const claim = (s: Store, ms: number, over: Partial<Parameters<Store['claimDue']>[0]> = {}) =>
        s.claimDue({
          now: at(ms),
          limit: 10,
          leaseMs: 30_000,
          workerId: 'w1',
          perDestinationLimit: 100,
          ...over,
        });

      test('keeps kind, version, destination and payload exactly', async () => {
        const payload = { z: 1, a: [1, '二', { nested: null }], coupon_id: 'C1', amount: 12.5 };
        assert.equal(await store.enqueue([item('seq-1', { payload })], t0), 1);
        const [o] = await store.listOutbox();
        assert.equal(JSON.stringify(o.payload), JSON.stringify(payload));
        assert.deepEqual(
          [o.kind, o.v, o.destination, o.dedupKey, o.state, o.attempts],
          ['tencent.coupon_status_rsync', 1, 'tencent-sp', 'seq-1', 'pending', 0],
        );
        assert.deepEqual(await store.getOutbox(o.id), o);
        assert.equal(await store.getOutbox('no-such-id'), undefined);
      });

      test('ignores a re-enqueued notification and refuses a different one under the same key', async () => {
        assert.equal(await store.enqueue([item('seq-1')], t0), 1);
        assert.equal(await store.enqueue([item('seq-1')], at(1)), 0);
        await assert.rejects(store.enqueue([item('seq-1', { payload: { other: true } })], at(2)));
        assert.equal(await store.enqueue([item('seq-1', { destination: 'dianping-pos' })], at(3)), 1);
        assert.equal((await store.listOutbox()).length, 2);
      });

      test('claims each due item exactly once among six concurrent workers', async () => {
        const items = Array.from({ length: 60 }, (_, i) =>
          item(`seq-${i}`, { destination: `partner-${i % 3}` }),
        );
        await store.enqueue(items, t0);
        const other = await second();
        const claimed: string[] = [];
        await Promise.all(
          Array.from({ length: 6 }, async (_, w) => {
            for (;;) {
              const got = await claim(w % 2 ? other : store, 1_000, { limit: 4, workerId: `w${w}` });
              if (got.length === 0) return;
              claimed.push(...got.map((o) => o.id));
            }
          }),
        );
        assert.equal(claimed.length, 60);
        assert.equal(new Set(claimed).size, 60);
      });

      test('never leases more than the per-destination limit, counting every worker', async () => {
        await store.enqueue(
          Array.from({ length: 30 }, (_, i) => item(`a-${i}`, { destination: i < 25 ? 'slow' : 'fast' })),
          t0,
        );
        const other = await second();
        const batches = await Promise.all(
          Array.from({ length: 6 }, (_, w) =>
            claim(w % 2 ? other : store, 1_000, { perDestinationLimit: 4, workerId: `w${w}` }),
          ),
        );
        const leased = batches.flat();
        assert.equal(leased.filter((o) => o.destination === 'slow').length, 4);
        assert.equal(leased.filter((o) => o.destination === 'fast').length, 4);
        await store.markDelivered(leased.find((o) => o.destination === 'slow')!.id, 'code 0', at(1_100));
        const next = await claim(store, 1_200, { perDestinationLimit: 4 });
        assert.deepEqual(
          next.map((o) => o.destination),
          ['slow'],
        );
      });

      test('hands out the oldest due items first and none before they are due', async () => {
        await store.enqueue(
          [
            item('later', { notBefore: at(5_000) }),
            item('first', { notBefore: at(100) }),
            item('second', { notBefore: at(200) }),
          ],
          t0,
        );
        assert.deepEqual(
          (await claim(store, 1_000)).map((o) => o.dedupKey),
          ['first', 'second'],
        );
        assert.deepEqual(await claim(store, 4_999), []);
        assert.deepEqual(
          (await claim(store, 5_000)).map((o) => o.dedupKey),
          ['later'],
        );
      });

      test('claims an expired lease again, counts the attempt, and ignores the old holder’s failure', async () => {
        await store.enqueue([item('seq-1')], t0);
        const [first] = await claim(store, 0, { leaseMs: 1_000, workerId: 'w1' });
        assert.equal(first.attempts, 1);
        assert.equal(first.leaseUntil?.getTime(), at(1_000).getTime());
        assert.deepEqual(await claim(store, 999, { workerId: 'w2' }), []);
        const [again] = await claim(store, 1_000, { leaseMs: 1_000, workerId: 'w2' });
        assert.equal(again.id, first.id);
        assert.equal(again.attempts, 2);
        assert.equal(again.leasedBy, 'w2');
        assert.equal(
          await store.markFailed(first.id, 'late', at(9_000), { workerId: 'w1', now: at(1_500) }),
          false,
        );
        assert.equal(
          await store.markFailed(first.id, 'HTTP 503', at(9_000), { workerId: 'w2', now: at(1_500) }),
          true,
        );
      });

      test('retries a failed item at its next attempt time and buries it as dead after the last', async () => {
        await store.enqueue([item('seq-1')], t0);
        const [o] = await claim(store, 0);
        assert.equal(await store.markFailed(o.id, 'HTTP 503', at(5_000), { now: at(10) }), true);
        const waiting = await store.getOutbox(o.id);
        assert.equal(waiting?.state, 'pending');
        assert.equal(waiting?.lastError, 'HTTP 503');
        assert.equal(waiting?.nextAttemptAt.getTime(), at(5_000).getTime());
        assert.deepEqual(await claim(store, 4_999), []);
        assert.equal((await claim(store, 5_000)).length, 1);
        assert.equal(await store.markFailed(o.id, 'code 400003', null, { now: at(5_010) }), true);
        assert.deepEqual(
          (await store.listOutbox({ state: 'dead' })).map((x) => [x.id, x.lastError, x.attempts]),
          [[o.id, 'code 400003', 2]],
        );
        assert.deepEqual(await claim(store, 1e9), []);
        assert.equal(
          await store.markFailed(o.id, 'again', null, { now: at(5_020) }),
          false,
          'only a leased item fails',
        );
      });

      test('replays a dead letter as a fresh due item, one or all', async () => {
        await store.enqueue([item('a'), item('b'), item('c'), item('d')], t0);
        const leased = await claim(store, 0);
        for (const o of leased.slice(0, 3)) await store.markFailed(o.id, 'boom', null, { now: at(1) });
        await store.markDelivered(leased[3].id, 'ok', at(1));
        assert.equal(await store.replay(leased[0].id, at(100)), 1);
        const replayed = await store.getOutbox(leased[0].id);
        assert.deepEqual(
          [replayed?.state, replayed?.attempts, replayed?.nextAttemptAt.getTime()],
          ['pending', 0, at(100).getTime()],
        );
        assert.equal(await store.replay('all-dead', at(200)), 2);
        assert.equal(await store.replay(leased[3].id, at(300)), 0, 'a delivered item is not replayed');
        assert.equal(await store.replay('no-such-id', at(300)), 0);
        assert.equal((await claim(store, 300)).length, 3);
      });

      test('records a delivery even after the lease passed to another worker, and keeps it', async () => {
        await store.enqueue([item('seq-1')], t0);
        const [o] = await claim(store, 0, { leaseMs: 1_000, workerId: 'w1' });
        await claim(store, 2_000, { workerId: 'w2' });
        assert.equal(await store.markDelivered(o.id, '{"code":0}', at(2_500)), true);
        const done = await store.getOutbox(o.id);
        assert.deepEqual(
          [done?.state, done?.answerSummary, done?.deliveredAt?.getTime()],
          ['delivered', '{"code":0}', at(2_500).getTime()],
        );
        assert.equal(
          await store.markFailed(o.id, 'late', at(9_000), { workerId: 'w2', now: at(2_600) }),
          false,
        );
        assert.deepEqual(await claim(store, 1e9), []);
      });

      test('purges only delivered items delivered before the cut-off', async () => {
        await store.enqueue(
          [item('old'), item('recent'), item('dead'), item('waiting', { notBefore: at(1e9) })],
          t0,
        );
        const byKey = new Map((await claim(store, 0)).map((o) => [o.dedupKey, o.id]));
        await store.markDelivered(byKey.get('old')!, 'ok', at(1_000));
        await store.markDelivered(byKey.get('recent')!, 'ok', at(3_000));
        await store.markFailed(byKey.get('dead')!, 'boom', null, { now: at(1_000) });
        assert.equal(await store.purgeDelivered(at(2_000)), 1);
        assert.deepEqual(
          (await store.listOutbox()).map((o) => o.dedupKey),
          ['recent', 'dead', 'waiting'],
        );
      });

      test('lists items by state and destination', async () => {
        await store.enqueue([item('a'), item('b', { destination: 'dianping-pos' }), item('c')], t0);
        await store.markDelivered((await store.listOutbox())[0].id, 'ok', at(1));
        assert.deepEqual(
          (await store.listOutbox({ state: 'pending', destination: 'tencent-sp' })).map((o) => o.dedupKey),
          ['c'],
        );
        assert.deepEqual(
          (await store.listOutbox({ limit: 1, offset: 1 })).map((o) => o.dedupKey),
          ['b'],
        );
      });
    });

    describe('payment push', () => {
      const k = { partner: 'pyun', route: 'pyun.notify.payment', key: 'pay-1' };
      const ok: StoredAnswer = { status: 200, contentType: 'application/json', body: '{"code":"1001"}' };

      test('stores a push with its notifications and reports a repeat as duplicate', async () => {
        const items = [
          item('pay-1:C1'),
          item('pay-1', { destination: 'dianping-pos', kind: 'dianping.consume_coupon' }),
        ];
        assert.equal(await store.recordPushWithNotifications(k, 'fp', items, ok, t0), 'stored');
        assert.equal(await store.recordPushWithNotifications(k, 'fp', items, ok, at(1)), 'duplicate');
        assert.equal((await store.listOutbox()).length, 2);
        const r = await store.idemBegin(k, 'fp', at(2));
        assert.deepEqual(r.state === 'finished' && r.answer, ok);
      });

      test('stores neither the push nor any notification when one notification cannot be stored', async () => {
        const items = [item('pay-1:C1'), item('pay-1:C2', { kind: '' })];
        await assert.rejects(store.recordPushWithNotifications(k, 'fp', items, ok, t0));
        assert.deepEqual(await store.listOutbox(), []);
        assert.equal((await store.idemBegin(k, 'fp', at(1))).state, 'new');
      });
    });

    describe('settlement', () => {
      const day: Period = { from: t0, to: at(86_400_000) };
      const pos = (ms: number): TransitionMeta => meta(ms, { actor: 'pos-1', exchangeId: `x-pos-${ms}` });

      /** A Dianping code redeemed for an order, as D1 records it (the applied value in attrs). */
      async function dianpingUsed(
        code: string,
        orderId: string,
        applyValueFen: number,
        ms: number,
      ): Promise<void> {
        await store.upsertCoupon(
          {
            id: `dianping:${code}`,
            stockId: 'dianping',
            partner: 'pos-1',
            couponCode: code,
            faceValue: 1000,
            attrs: { dianping: { orderId, applyValueFen } },
            state: 'used',
          },
          pos(ms),
        );
      }

      test('groups a period’s transitions by partner, stock and kind with their values in 分', async () => {
        for (const id of ['c1', 'c2', 'c3', 'c4']) await available(id, { faceValue: 500 });
        await available('c5', { stockId: 'stock-2', faceValue: 1000 });
        await available('c6', { stockId: 'stock-2' });
        await store.transition(['c1'], 'used', meta(10));
        await store.transition(['c2'], 'expired', meta(20));
        await store.transition(['c3'], 'used', meta(30, { actor: 'pyun' }));
        await store.transition(['c5'], 'invalid', meta(40));
        await store.transition(['c6'], 'used', meta(50));
        await store.transition(['c4'], 'used', meta(86_400_000)); // first instant after the period
        await dianpingUsed('D1', 'O-1', 334, 60);
        await dianpingUsed('D2', 'O-1', 333, 60);
        await store.transition(['dianping:D1', 'dianping:D2'], 'refunded', pos(70));
        // a reservation P云 refused: released, never claimed
        await store.reserveCoupon(reservation('c7'), { maxCoupons: 9, maxPerUser: 9 }, meta(80));
        await store.releaseCoupon('c7', meta(81));

        const row = (
          partner: string,
          stockId: string,
          kind: string,
          n: number,
          fen: number,
          unvalued = 0,
        ) => ({
          partner,
          stockId,
          kind,
          count: n,
          valueFen: fen,
          unvalued,
        });
        assert.deepEqual(await store.settlementGroups(day), [
          row('pos-1', 'dianping', 'redeemed', 2, 667),
          row('pos-1', 'dianping', 'refunded', 2, 667),
          row('tencent-sp', 'stock-1', 'claimed', 4, 2000),
          row('tencent-sp', 'stock-1', 'expired', 1, 500),
          row('tencent-sp', 'stock-1', 'redeemed', 2, 1000),
          row('tencent-sp', 'stock-2', 'claimed', 2, 1000, 1),
          row('tencent-sp', 'stock-2', 'invalidated', 1, 1000),
          row('tencent-sp', 'stock-2', 'redeemed', 1, 0, 1),
        ]);
        assert.deepEqual(await store.settlementGroups(day, 'pos-1'), [
          row('pos-1', 'dianping', 'redeemed', 2, 667),
          row('pos-1', 'dianping', 'refunded', 2, 667),
        ]);
        assert.deepEqual(await store.settlementGroups(day, 'pyun'), []);
        assert.deepEqual(await store.settlementGroups({ from: at(86_400_000), to: at(86_400_001) }), [
          row('tencent-sp', 'stock-1', 'redeemed', 1, 500),
        ]);
      });

      test('finds claims whose answer was never recorded: started or missing records, pending ones too', async () => {
        const route = 'tencent.sp-coupon-receive';
        // Ledger ids as the claim flow makes them: claim:<partner>:<request_id>; the event id is P云's.
        const ref = (id: string) => `claim:tencent-sp:req-${id}`;
        const claim = async (id: string, ms: number, activate: boolean) => {
          await store.reserveCoupon(
            reservation(ref(id), { eventId: `E-derived-${id}` }),
            { maxCoupons: 99, maxPerUser: 9 },
            meta(ms, { exchangeId: `x-${id}` }),
          );
          if (activate)
            await store.activateCoupon(
              ref(id),
              { couponId: `C-${id}`, grantSerial: `G-${id}` },
              meta(ms + 1),
            );
        };
        const key = (id: string) => ({ partner: 'tencent-sp', route, key: `req-${id}` });
        const ok: StoredAnswer = { status: 200, contentType: 'application/json', body: '{"code":0}' };
        await claim('started', 0, true);
        await store.idemBegin(key('started'), 'fp', at(0));
        await claim('answered', 10, true);
        await store.idemBegin(key('answered'), 'fp', at(10));
        await store.idemFinish(key('answered'), ok, 'success', at(12));
        await claim('missing', 20, true);
        await claim('pending', 30, false);
        await store.idemBegin(key('pending'), 'fp', at(30));
        await claim('released', 40, false);
        await store.releaseCoupon(ref('released'), meta(41));
        await claim('fresh', 60_000, true);
        await store.idemBegin(key('fresh'), 'fp', at(60_000));
        await available('synced'); // no event_id: not a claim

        const found = await store.undeliveredClaims(day, route, at(50_000), t0);
        assert.deepEqual(
          found.map((c) => [c.couponRef, c.requestId, c.state, c.idempotency, c.exchangeId, c.grantSerial]),
          [
            ['claim:tencent-sp:req-started', 'req-started', 'available', 'started', 'x-started', 'G-started'],
            ['claim:tencent-sp:req-missing', 'req-missing', 'available', undefined, 'x-missing', 'G-missing'],
            ['claim:tencent-sp:req-pending', 'req-pending', 'pending', 'started', 'x-pending', undefined],
          ],
        );
        assert.equal(found[0].reservedAt.getTime(), t0.getTime());
        // records purged before the claim was made cannot be told from a lost answer
        assert.deepEqual(
          (await store.undeliveredClaims(day, route, at(50_000), at(25))).map((c) => c.couponRef),
          ['claim:tencent-sp:req-started', 'claim:tencent-sp:req-pending'],
        );
      });

      test('finds Dianping codes redeemed for an order never recorded, and orders without details', async () => {
        await dianpingUsed('H1', 'O-half', 500, 10);
        await dianpingUsed('H2', 'O-done', 500, 20);
        const order = {
          partner: 'pos-1',
          orderId: 'O-done',
          status: 'consumed' as const,
          couponCodes: ['H2'],
          details: { payAmount: 0 },
          createdAt: at(21),
          updatedAt: at(21),
        };
        await store.putOrder(order);
        await store.putOrder({ ...order, orderId: 'O-core', details: undefined, exchangeId: 'x-core' });
        await dianpingUsed('H3', 'O-late', 500, 70_000);
        const found = await store.halfConsumedOrders(day, at(60_000));
        assert.deepEqual(
          found.map((o) => [o.partner, o.orderId, o.couponRef, o.couponCode, o.exchangeId, o.at.getTime()]),
          [
            ['pos-1', 'O-half', 'dianping:H1', 'H1', 'x-pos-10', at(10).getTime()],
            ['pos-1', 'O-core', undefined, undefined, 'x-core', at(21).getTime()],
          ],
        );
      });

      test('finds dead notifications and those pending or leased past their schedule', async () => {
        await store.enqueue([item('dead'), item('late'), item('later'), item('done'), item('held')], t0);
        await store.enqueue([item('not-before', { notBefore: at(120_000) })], t0);
        const claim = { limit: 10, leaseMs: 30_000, workerId: 'w', perDestinationLimit: 10 };
        const leased = await store.claimDue({ ...claim, now: t0 });
        const id = (key: string) => leased.find((i) => i.dedupKey === key)!.id;
        await store.markFailed(id('dead'), 'HTTP 500', null, { now: at(1) });
        await store.markFailed(id('late'), 'timeout', at(1_000), { now: at(1) });
        await store.markFailed(id('later'), 'timeout', at(90_000), { now: at(1) });
        await store.markDelivered(id('done'), '0 ok', at(1));
        const found = await store.overdueNotifications(day, at(60_000));
        assert.deepEqual(
          found.map((i) => [i.dedupKey, i.state]),
          [
            ['dead', 'dead'],
            ['late', 'pending'],
            ['held', 'leased'],
          ],
        );
        assert.equal(found[0].lastError, 'HTTP 500');
        assert.deepEqual(await store.overdueNotifications({ from: at(1), to: at(2) }, at(60_000)), []);
      });

      test('keeps the anomalies an exchange journaled, by period and partner, after the journal is pruned', async () => {
        const exchange = (id: string, ms: number, partner: string, anomalies: AnomalyInput[]) => ({
          id,
          at: at(ms),
          route: 'pyun.notify-payment',
          partner,
          businessKeys: [id],
          outcome: 'success',
          data: {},
          anomalies,
        });
        await store.appendExchanges([
          exchange('x-a', 10, 'pyun', [
            { kind: 'push_unknown_coupon', ref: 'G-404', detail: 'no coupon G-404 in the ledger' },
            { kind: 'push_unknown_coupon', ref: 'G-405', detail: 'no coupon G-405 in the ledger' },
          ]),
          exchange('x-b', 20, 'pos-1', [
            { kind: 'redeem_duplicate', ref: 'D9', code: '1403', detail: 'P云 1403 重复核销' },
          ]),
          exchange('x-c', 30, 'pyun', []),
          exchange('x-d', 86_400_000, 'pos-1', [
            { kind: 'redeem_refused', ref: 'D8', code: '1002', detail: '' },
          ]),
        ]);
        await store.pruneJournal(0, 0, at(86_400_001));
        assert.equal(await store.getExchange('x-a'), undefined);
        const all = await store.listAnomalies(day);
        assert.deepEqual(
          all.map((a) => [a.exchangeId, a.partner, a.route, a.kind, a.ref, a.code, a.detail]),
          [
            [
              'x-a',
              'pyun',
              'pyun.notify-payment',
              'push_unknown_coupon',
              'G-404',
              undefined,
              'no coupon G-404 in the ledger',
            ],
            [
              'x-a',
              'pyun',
              'pyun.notify-payment',
              'push_unknown_coupon',
              'G-405',
              undefined,
              'no coupon G-405 in the ledger',
            ],
            ['x-b', 'pos-1', 'pyun.notify-payment', 'redeem_duplicate', 'D9', '1403', 'P云 1403 重复核销'],
          ],
        );
        assert.equal(all[2].at.getTime(), at(20).getTime());
        assert.deepEqual(
          (await store.listAnomalies(day, 'pos-1')).map((a) => a.ref),
          ['D9'],
        );
      });
    });

    describe('moving between stores', () => {
      const k1 = { partner: 'tencent-sp', route: 'tencent.coupon.receive', key: 'req-1' };
      const k2 = { partner: 'tencent-sp', route: 'tencent.coupon.receive', key: 'req-2' };
      const answer: StoredAnswer = {
        status: 200,
        contentType: 'application/json',
        body: '{"code":0,"data":{"coupon_id":"C-c1"},"备注":"✓"}',
      };
      const exportNow = at(60_000);

      async function exported(s: Store, journal = true): Promise<TransferRecord[]> {
        const out: TransferRecord[] = [];
        for await (const r of s.exportRows({ journal, now: exportNow })) out.push(r);
        return out;
      }

      async function* stream(records: TransferRecord[]): AsyncGenerator<TransferRecord> {
        yield* records;
      }

      /** A fresh, empty database of the same backend; the current one is left to afterEach. */
      async function target(): Promise<{ store: Store; drop: () => Promise<void> }> {
        const fresh = await newDatabase();
        const s = await fresh.open();
        return { store: s, drop: async () => (await s.close(), await fresh.drop()) };
      }

      /** Some of every kind of state, as traffic leaves it. */
      async function populate(): Promise<void> {
        assert.equal((await store.idemBegin(k1, 'fp-1', at(0))).state, 'new');
        await store.idemFinish(k1, answer, 'success', at(1));
        await store.idemBegin(k2, 'fp-2', at(2));
        await store.rememberNonce('tencent', 'n-live', at(3_600_000), at(0));
        await store.rememberNonce('tencent', 'n-old', at(1_000), at(0));
        await store.upsertStockSync({
          stockId: 'stock-1',
          status: 3,
          presentation: { name: '停车券' },
          updatedAt: at(3),
        });
        await available('c1');
        await available('c2');
        await store.transition(['c2'], 'used', meta(10, { exchangeId: 'ex-1', reason: 'redeemed' }), [
          item('seq-c2'),
        ]);
        await store.reserveCoupon(reservation('c3'), { maxCoupons: 10, maxPerUser: 10 }, meta(11));
        await store.releaseCoupon('c3', meta(12, { reason: 'P云 refused' }));
        await store.upsertCoupon(
          {
            id: 'c4',
            stockId: 'stock-2',
            partner: 'dianping-pos',
            couponCode: 'DP4',
            state: 'available',
            faceValue: 500,
            attrs: { 车牌: '粤B' },
          },
          meta(13),
        );
        await store.putOrder({
          partner: 'dianping-pos',
          orderId: 'O-1',
          status: 'consumed',
          couponCodes: ['DP4'],
          details: { amount_fen: 1999 },
          exchangeId: 'ex-2',
          createdAt: at(14),
          updatedAt: at(14),
        });
        await store.appendExchange({
          id: 'ex-1',
          at: at(10),
          route: 'tencent.coupon.status.rsync',
          partner: 'tencent-sp',
          businessKeys: ['C-c2', 'G-c2'],
          outcome: 'success',
          durationMs: 7,
          data: { inbound: { coupon_id: 'C-c2' } },
        });
        await store.enqueue([item('seq-dead'), item('seq-done'), item('seq-leased')], t0);
        const [dead, done] = await store.claimDue({
          now: at(20),
          limit: 2,
          leaseMs: 1_000,
          workerId: 'w1',
          perDestinationLimit: 10,
        });
        await store.markFailed(dead.id, 'HTTP 500', null, { now: at(21) });
        await store.markDelivered(done.id, 'code 0', at(22));
        await store.claimDue({
          now: at(23),
          limit: 1,
          leaseMs: 1_000,
          workerId: 'w2',
          perDestinationLimit: 10,
        });
      }

      test('carries every table into an empty store, identical on a second export', async () => {
        await populate();
        const first = await exported(store);
        const tables = new Set(first.map((r) => r.table));
        for (const t of [
          'idempotency',
          'nonces',
          'stocks',
          'coupons',
          'coupon_transitions',
          'orders',
          'outbox',
          'exchanges',
          'exchange_keys',
        ]) {
          assert.ok(tables.has(t), `the export carries ${t}`);
        }
        assert.deepEqual(
          first.filter((r) => r.table === 'nonces').map((r) => r.row.nonce),
          ['n-live'],
          'expired nonces stay behind',
        );
        const before = {
          outbox: await store.listOutbox(),
          c1: await store.getCoupon({ couponId: 'C-c1' }),
          c4: await store.getCoupon({ couponCode: 'DP4' }),
          history: await Promise.all(['c1', 'c2', 'c3', 'c4'].map((id) => store.history(id))),
          counts: await store.stockCounts('stock-1'),
          order: await store.getOrder('dianping-pos', 'O-1'),
          stock: await store.getStockSync('stock-1'),
          journal: await store.findExchanges('G-c2'),
        };
        const to = await target();
        try {
          const counts = await to.store.importRows(stream(first));
          assert.equal(
            Object.values(counts).reduce((a, b) => a + b, 0),
            first.length,
          );
          assert.deepEqual(await exported(to.store), first);
          assert.deepEqual(
            {
              outbox: await to.store.listOutbox(),
              c1: await to.store.getCoupon({ couponId: 'C-c1' }),
              c4: await to.store.getCoupon({ couponCode: 'DP4' }),
              history: await Promise.all(['c1', 'c2', 'c3', 'c4'].map((id) => to.store.history(id))),
              counts: await to.store.stockCounts('stock-1'),
              order: await to.store.getOrder('dianping-pos', 'O-1'),
              stock: await to.store.getStockSync('stock-1'),
              journal: await to.store.findExchanges('G-c2'),
            },
            before,
          );
          // The moved records keep working: a repeat is answered, a seen nonce refused, the quota counted.
          const repeat = await to.store.idemBegin(k1, 'fp-1', at(30));
          assert.deepEqual(repeat.state === 'finished' && repeat.answer, answer);
          assert.equal((await to.store.idemBegin(k2, 'fp-2', at(30))).state, 'started');
          assert.equal(await to.store.rememberNonce('tencent', 'n-live', at(3_600_000), at(30)), false);
          assert.equal(
            await to.store.reserveCoupon(reservation('c5'), { maxCoupons: 2, maxPerUser: 10 }, meta(31)),
            'quota_exhausted',
            'c1 and c2 still count against the stock',
          );
          // New outbox ids continue after the moved ones.
          await to.store.enqueue([item('seq-new')], at(32));
          const ids = (await to.store.listOutbox()).map((o) => Number(o.id));
          assert.equal(Math.max(...ids), ids[ids.length - 1]);
          assert.ok(ids[ids.length - 1] > Math.max(...before.outbox.map((o) => Number(o.id))));
        } finally {
          await to.drop();
        }
      });

      test('leaves the journal behind unless asked', async () => {
        await populate();
        const tables = new Set((await exported(store, false)).map((r) => r.table));
        assert.ok(!tables.has('exchanges') && !tables.has('exchange_keys'));
        assert.ok(tables.has('coupons'));
      });

      test('refuses a store that is not empty, writing nothing', async () => {
        await populate();
        const rows = await exported(store);
        const to = await target();
        try {
          await to.store.rememberNonce('x', 'y', at(3_600_000), at(0));
          await assert.rejects(to.store.importRows(stream(rows)), /not empty \(table nonces has rows\)/);
          assert.deepEqual(await to.store.listCoupons(), []);
        } finally {
          await to.drop();
        }
      });

      test('rolls the whole import back when a row cannot be loaded', async () => {
        await populate();
        const rows = await exported(store);
        const bad: TransferRecord[] = [...rows, { table: 'coupons', row: { id: 'x', no_such_column: 1 } }];
        const to = await target();
        try {
          await assert.rejects(to.store.importRows(stream(bad)), /no column no_such_column/);
          assert.deepEqual(await exported(to.store), []);
        } finally {
          await to.drop();
        }
      });

      test('round-trips any ledger: export(import(export(x))) = export(x)', async () => {
        const op = fc.oneof(
          fc.record({ op: fc.constant('claim' as const), id: fc.integer({ min: 0, max: 5 }) }),
          fc.record({
            op: fc.constant('move' as const),
            id: fc.integer({ min: 0, max: 5 }),
            to: fc.constantFrom<CouponState>('used', 'expired', 'invalid', 'refunded'),
          }),
          fc.record({
            op: fc.constant('notify' as const),
            key: fc.string({ minLength: 1, maxLength: 8 }),
            payload: fc.jsonValue(),
          }),
          fc.record({
            op: fc.constant('answer' as const),
            key: fc.string({ maxLength: 8 }),
            body: fc.string(),
          }),
          fc.record({
            op: fc.constant('nonce' as const),
            nonce: fc.string({ minLength: 1, maxLength: 8 }),
            ttl: fc.integer({ min: -1_000, max: 1_000_000 }),
          }),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
            // One database at a time: the PostgreSQL suite has one schema, emptied for each target.
            const from = await target();
            let once: TransferRecord[];
            try {
              let ms = 0;
              for (const o of ops) {
                ms += 1;
                if (o.op === 'claim') {
                  if (!(await from.store.getCoupon({ id: `p${o.id}` }))) {
                    await from.store.reserveCoupon(
                      reservation(`p${o.id}`),
                      { maxCoupons: 1e6, maxPerUser: 1e6 },
                      meta(ms),
                    );
                    await from.store.activateCoupon(`p${o.id}`, { couponId: `C-p${o.id}` }, meta(ms));
                  }
                } else if (o.op === 'move') {
                  await from.store.transition([`p${o.id}`], o.to, meta(ms), [
                    item(`mv-${o.id}-${o.to}-${ms}`),
                  ]);
                } else if (o.op === 'notify') {
                  await from.store
                    .enqueue([item(`k-${ms}-${o.key}`, { payload: o.payload })], at(ms))
                    .catch(() => 0);
                } else if (o.op === 'answer') {
                  const k = { ...k1, key: `a-${ms}-${o.key}` };
                  await from.store.idemBegin(k, 'fp', at(ms));
                  await from.store.idemFinish(k, { ...answer, body: o.body }, 'success', at(ms));
                } else {
                  await from.store.rememberNonce('s', o.nonce, at(60_000 + o.ttl), at(ms));
                }
              }
              once = await exported(from.store);
            } finally {
              await from.drop();
            }
            const to = await target();
            try {
              await to.store.importRows(stream(once));
              assert.deepEqual(await exported(to.store), once);
            } finally {
              await to.drop();
            }
          }),
          { numRuns: 6 },
        );
      });
    });
  });
}
