/**
 * The store's shared decisions (src/store/decisions.ts), pinned once with plain values. Both
 * backends call them; the contract suite (contract.ts) checks that each backend does so inside
 * its transactions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCbError } from '../../src/errors';
import {
  activationFrom,
  assertReserved,
  assertSameOutboxItem,
  assertSyncedState,
  claimOrder,
  couponLookup,
  planTransition,
  quotaDecision,
  releaseFrom,
  replayLookup,
  reservationMeta,
  transitionIds,
} from '../../src/store/decisions';
import type { CouponRecord, OutboxItem } from '../../src/store/types';

const t0 = new Date('2025-03-01T08:00:00.000Z');

function coupon(id: string, state: CouponRecord['state']): CouponRecord {
  return {
    id,
    stockId: 'stock-1',
    partner: 'tencent-sp',
    couponId: `c-${id}`,
    state,
    createdAt: t0,
    updatedAt: t0,
  };
}

function outboxItem(id: string, nextAttemptAt: string): OutboxItem {
  return {
    id,
    kind: 'tencent.coupon_status_rsync',
    v: 1,
    destination: 'tencent-sp',
    dedupKey: `k${id}`,
    payload: null,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: new Date(nextAttemptAt),
    createdAt: t0,
    updatedAt: t0,
  };
}

/** The error's code and its full message, for literal comparison. */
function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(isCbError(e), `not a CbError: ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('did not throw');
}

describe('store decisions: coupon lookup', () => {
  test('each key names its statement and parameter', () => {
    assert.deepEqual(couponLookup({ id: 'x1' }), { statement: 'coupons.by_id', params: { id: 'x1' } });
    assert.deepEqual(couponLookup({ couponId: 'C9' }), {
      statement: 'coupons.by_coupon_id',
      params: { coupon_id: 'C9' },
    });
    assert.deepEqual(couponLookup({ grantSerial: 'G7' }), {
      statement: 'coupons.by_grant_serial',
      params: { grant_serial: 'G7' },
    });
    assert.deepEqual(couponLookup({ couponCode: '8812' }), {
      statement: 'coupons.by_coupon_code',
      params: { coupon_code: '8812' },
    });
  });

  test('the first key wins: id, couponId, grantSerial, couponCode', () => {
    assert.deepEqual(couponLookup({ couponCode: '8812', grantSerial: 'G7', couponId: 'C9', id: 'x1' }), {
      statement: 'coupons.by_id',
      params: { id: 'x1' },
    });
    assert.deepEqual(couponLookup({ couponCode: '8812', grantSerial: 'G7' }), {
      statement: 'coupons.by_grant_serial',
      params: { grant_serial: 'G7' },
    });
  });

  test('an empty key is still a key; no key finds nothing', () => {
    assert.deepEqual(couponLookup({ id: '' }), { statement: 'coupons.by_id', params: { id: '' } });
    assert.equal(couponLookup({}), undefined);
  });
});

describe('store decisions: quota', () => {
  const limits = { maxCoupons: 3, maxPerUser: 2 };

  test('below both caps a reservation is within quota', () => {
    assert.equal(quotaDecision({ total: 2, user_total: 1 }, limits), 'within_quota');
  });

  test('the cap is reached at equality, the stock first', () => {
    assert.equal(quotaDecision({ total: 3, user_total: 0 }, limits), 'quota_exhausted');
    assert.equal(quotaDecision({ total: 2, user_total: 2 }, limits), 'user_quota_exhausted');
    assert.equal(quotaDecision({ total: 3, user_total: 2 }, limits), 'quota_exhausted');
  });

  test('counts arrive as text or bigint strings from the drivers', () => {
    assert.equal(quotaDecision({ total: '2', user_total: '1' }, limits), 'within_quota');
    assert.equal(quotaDecision({ total: '1', user_total: '2' }, limits), 'user_quota_exhausted');
  });
});

describe('store decisions: reservations', () => {
  const r = { id: 'r1', stockId: 'stock-1', partner: 'pyun', userCode: 'u1' };

  test('an undescribed reservation is the partner’s, at now', () => {
    assert.deepEqual(reservationMeta(r, undefined, t0), { actor: 'pyun', at: t0 });
  });

  test('a described one keeps its description', () => {
    const meta = { actor: 'tencent-sp', at: new Date('2025-01-01T00:00:00.000Z'), exchangeId: 'x7' };
    assert.deepEqual(reservationMeta(r, meta, t0), meta);
  });

  test('a taken reservation id is an internal error', () => {
    assert.equal(assertReserved('row', 'r1'), 'row');
    assert.deepEqual(
      failure(() => assertReserved(undefined, 'r1')),
      { code: 'CB_INTERNAL', message: 'internal error: coupon r1 already exists' },
    );
  });
});

describe('store decisions: state guards', () => {
  test('activation: pending → available, from the state it leaves', () => {
    assert.equal(activationFrom(coupon('a', 'pending'), 'a'), 'pending');
  });

  test('activation of a missing or already active coupon is refused', () => {
    assert.deepEqual(
      failure(() => activationFrom(undefined, 'a')),
      { code: 'CB_COUPON_NOT_FOUND', message: 'unknown coupon: coupon a' },
    );
    assert.deepEqual(
      failure(() => activationFrom(coupon('a', 'available'), 'a')),
      {
        code: 'CB_ILLEGAL_TRANSITION',
        message:
          'coupon state does not allow this change: a coupon in state available cannot become available',
      },
    );
  });

  test('release: only a pending reservation', () => {
    assert.equal(releaseFrom(coupon('a', 'pending'), 'a'), 'pending');
    assert.deepEqual(
      failure(() => releaseFrom(coupon('a', 'used'), 'a')),
      {
        code: 'CB_ILLEGAL_TRANSITION',
        message:
          'coupon state does not allow this change: only a pending reservation can be released; a is used',
      },
    );
    assert.deepEqual(
      failure(() => releaseFrom(undefined, 'b')),
      { code: 'CB_COUPON_NOT_FOUND', message: 'unknown coupon: coupon b' },
    );
  });

  test('a sync never registers a pending coupon', () => {
    assert.equal(assertSyncedState('available'), undefined);
    assert.equal(assertSyncedState('expired'), undefined);
    assert.deepEqual(
      failure(() => assertSyncedState('pending')),
      {
        code: 'CB_INTERNAL',
        message: 'internal error: a synced coupon cannot be pending; reserve it instead',
      },
    );
  });
});

describe('store decisions: transitions', () => {
  test('each id once, in the caller’s order', () => {
    assert.deepEqual(transitionIds(['b', 'a', 'b', 'c', 'a']), ['b', 'a', 'c']);
  });

  test('all legal: nothing illegal, nothing missing', () => {
    assert.deepEqual(
      planTransition(['a', 'b'], [coupon('a', 'available'), coupon('b', 'available')], 'used'),
      {
        illegal: [],
        missing: [],
      },
    );
  });

  test('one illegal or missing coupon is reported, each with its identity', () => {
    assert.deepEqual(
      planTransition(['a', 'b', 'c'], [coupon('a', 'available'), coupon('b', 'expired'), undefined], 'used'),
      {
        illegal: [{ id: 'b', couponId: 'c-b', stockId: 'stock-1', state: 'expired' }],
        missing: ['c'],
      },
    );
  });

  test('a used coupon can be refunded, never used again', () => {
    assert.deepEqual(planTransition(['a'], [coupon('a', 'used')], 'refunded'), { illegal: [], missing: [] });
    assert.deepEqual(planTransition(['a'], [coupon('a', 'used')], 'used'), {
      illegal: [{ id: 'a', couponId: 'c-a', stockId: 'stock-1', state: 'used' }],
      missing: [],
    });
  });
});

describe('store decisions: outbox', () => {
  const params = {
    kind: 'tencent.coupon_status_rsync',
    v: 1,
    destination: 'tencent-sp',
    dedup_key: 'C1:2',
    payload: '{"coupon_id":"C1","coupon_status":2}',
  };

  test('the same notification again is a no-op (the stored version may be text or number)', () => {
    const stored = { kind: params.kind, v: '1', payload: params.payload };
    assert.equal(assertSameOutboxItem(stored, params), undefined);
    assert.equal(assertSameOutboxItem({ ...stored, v: 1 }, params), undefined);
  });

  test('another kind, version or payload under the same dedup key is a bug', () => {
    const message = 'internal error: outbox tencent-sp/C1:2 already holds a different notification';
    for (const stored of [
      { kind: 'tencent.coupon_rsync', v: 1, payload: params.payload },
      { kind: params.kind, v: 2, payload: params.payload },
      { kind: params.kind, v: 1, payload: '{"coupon_id":"C1","coupon_status":3}' },
    ]) {
      assert.deepEqual(
        failure(() => assertSameOutboxItem(stored, params)),
        { code: 'CB_INTERNAL', message },
      );
    }
  });

  test('claimed items go out oldest due first, ids breaking ties numerically', () => {
    const items = [
      outboxItem('10', '2025-03-01T08:00:02.000Z'),
      outboxItem('9', '2025-03-01T08:00:01.000Z'),
      outboxItem('2', '2025-03-01T08:00:02.000Z'),
      outboxItem('11', '2025-03-01T08:00:01.000Z'),
    ];
    assert.deepEqual(
      claimOrder(items).map((i) => i.id),
      ['9', '11', '2', '10'],
    );
    assert.deepEqual(
      items.map((i) => i.id),
      ['10', '9', '2', '11'],
      'the input is left as it was',
    );
  });

  test('replay: every dead item, one id, or nothing', () => {
    assert.deepEqual(replayLookup('all-dead'), { statement: 'outbox.replay_dead', params: {} });
    assert.deepEqual(replayLookup('42'), { statement: 'outbox.replay_one', params: { id: 42 } });
    assert.equal(replayLookup('0'), undefined);
    assert.equal(replayLookup('4x'), undefined);
    assert.equal(replayLookup('12345678901234567'), undefined);
  });
});
