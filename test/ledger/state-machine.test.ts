import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCbError } from '../../src/errors';
import {
  assertTransition,
  canRelease,
  canTransition,
  couponStates,
  fromTencentStatus,
  toTencentStatus,
  type CouponState,
} from '../../src/ledger/state-machine';

// The oracle, written out independently of the module: every legal edge, nothing else.
const legalEdges = new Set([
  'pending>available',
  'available>used',
  'available>expired',
  'available>invalid',
  'used>refunded',
]);
const state = fc.constantFrom(...couponStates);

describe('coupon state machine', () => {
  test('allows exactly the five documented edges', () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        assert.equal(canTransition(from, to), legalEdges.has(`${from}>${to}`));
      }),
    );
  });

  test('throws CB_ILLEGAL_TRANSITION naming both states for every other pair', () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        if (legalEdges.has(`${from}>${to}`)) {
          assertTransition(from, to);
          return;
        }
        assert.throws(
          () => assertTransition(from, to),
          (e: unknown) =>
            isCbError(e) &&
            e.code === 'CB_ILLEGAL_TRANSITION' &&
            e.detail.includes(`${from} cannot become ${to}`),
        );
      }),
    );
  });

  test('never reaches a forbidden state through any sequence of requested changes', () => {
    // Requests may be anything; the machine applies only legal ones. Whatever happens, the path
    // taken never goes back to available, reaches refunded only through used, and ends for good.
    fc.assert(
      fc.property(fc.array(state, { maxLength: 30 }), (requests) => {
        let current: CouponState = 'pending';
        const path: CouponState[] = [current];
        for (const to of requests) {
          if (canTransition(current, to)) {
            current = to;
            path.push(to);
          }
        }
        for (let i = 1; i < path.length; i += 1) {
          assert.ok(legalEdges.has(`${path[i - 1]}>${path[i]}`), `${path[i - 1]} → ${path[i]}`);
        }
        assert.ok(path.indexOf('available') <= 1, 'available is entered at most once, straight from pending');
        if (path.includes('refunded')) assert.equal(path[path.indexOf('refunded') - 1], 'used');
        assert.ok(path.length <= 4, 'no path is longer than pending → available → used → refunded');
      }),
    );
  });

  test('releases only a pending reservation', () => {
    assert.deepEqual(
      couponStates.filter((s) => canRelease(s)),
      ['pending'],
    );
  });

  test('maps Tencent coupon_status 1–4 and refuses anything else', () => {
    assert.equal(fromTencentStatus(1), 'available');
    assert.equal(fromTencentStatus(2), 'used');
    assert.equal(fromTencentStatus(3), 'expired');
    assert.equal(fromTencentStatus(4), 'invalid');
    for (const bad of [0, 5, -1, 1.5, NaN]) assert.equal(fromTencentStatus(bad), undefined, String(bad));
  });

  test('shows Tencent a refunded coupon as used and no status for a pending one', () => {
    assert.equal(toTencentStatus('refunded'), 2);
    assert.equal(toTencentStatus('pending'), undefined);
    for (const s of ['available', 'used', 'expired', 'invalid'] as const) {
      assert.equal(fromTencentStatus(toTencentStatus(s) as number), s);
    }
  });
});
