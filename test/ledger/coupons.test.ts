// The ledger rule of a translate branch with `ledger_state`, on its own: whether to send (not when
// the coupon is already there, never an illegal move) and the move once the upstream accepted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alreadyApplied, applyLedgerState } from '../../src/ledger/coupons';
import { isCbError } from '../../src/errors';
import type { Exchange } from '../../src/pipeline/context';
import type { CouponRecord, CouponState, TransitionMeta } from '../../src/store/types';

const now = new Date('2026-03-01T08:00:00.000Z');

function coupon(state: CouponState): CouponRecord {
  return { id: 'tencent:C1', couponId: 'C1', state } as CouponRecord;
}

/** An exchange on a branch moving coupons to `to`, with a store recording transition calls. */
function exchange(
  to: 'used' | 'expired' | 'invalid' | undefined,
  opts: { outcome?: string; applied?: boolean; partner?: string } = {},
) {
  const calls: Array<{ ids: string[]; to: CouponState; meta: TransitionMeta }> = [];
  const store = {
    async transition(ids: string[], state: CouponState, meta: TransitionMeta) {
      calls.push({ ids, to: state, meta });
      return { applied: opts.applied ?? true };
    },
  };
  const x = {
    id: 'ex-1',
    now,
    partner: opts.partner === undefined ? undefined : { id: opts.partner },
    branch: to === undefined ? { name: 'plain' } : { name: 'move', ledgerState: to },
    outcome: opts.outcome,
    notes: [] as string[],
    rt: { store },
  } as unknown as Exchange;
  return { x, calls };
}

describe('alreadyApplied', () => {
  test('sends when the branch moves nothing or there is no ledger coupon', () => {
    const plain = exchange(undefined).x;
    assert.equal(alreadyApplied(plain, coupon('available')), false);
    const move = exchange('used').x;
    assert.equal(alreadyApplied(move, undefined), false);
    const noBranch = { ...exchange('used').x, branch: undefined } as Exchange;
    assert.equal(alreadyApplied(noBranch, coupon('available')), false);
    assert.deepEqual([...plain.notes, ...move.notes], []);
  });

  test('sends a legal move, and notes nothing', () => {
    const { x } = exchange('used');
    assert.equal(alreadyApplied(x, coupon('available')), false);
    assert.deepEqual(x.notes, []);
  });

  test('does not send again a coupon already in the branch state', () => {
    const { x } = exchange('used');
    assert.equal(alreadyApplied(x, coupon('used')), true);
    assert.deepEqual(x.notes, ['coupon C1 is already used in the ledger; not sent again']);
  });

  test('refuses an illegal move with CB_ILLEGAL_TRANSITION naming both states', () => {
    const { x } = exchange('used');
    assert.throws(
      () => alreadyApplied(x, coupon('expired')),
      (e: unknown) =>
        isCbError(e) &&
        e.code === 'CB_ILLEGAL_TRANSITION' &&
        e.detail === 'coupon C1 is expired in the ledger and cannot become used',
    );
  });
});

describe('applyLedgerState', () => {
  test('moves the coupon once the upstream accepted, in the name of the calling partner', async () => {
    const { x, calls } = exchange('used', { outcome: 'success', partner: 'sp-a' });
    await applyLedgerState(x, coupon('available'));
    assert.deepEqual(calls, [
      {
        ids: ['tencent:C1'],
        to: 'used',
        meta: { actor: 'sp-a', at: now, exchangeId: 'ex-1', reason: undefined },
      },
    ]);
    assert.deepEqual(x.notes, ['coupon C1: available → used']);
  });

  test('moves nothing when the upstream refused, the branch moves nothing or there is no coupon', async () => {
    const refused = exchange('used', { outcome: 'terminal', partner: 'sp-a' });
    await applyLedgerState(refused.x, coupon('available'));
    const plain = exchange(undefined, { outcome: 'success', partner: 'sp-a' });
    await applyLedgerState(plain.x, coupon('available'));
    const none = exchange('used', { outcome: 'success', partner: 'sp-a' });
    await applyLedgerState(none.x, undefined);
    assert.deepEqual([...refused.calls, ...plain.calls, ...none.calls], []);
  });

  test('notes a concurrent change instead of forcing it; couponbridge acts when no partner called', async () => {
    const { x, calls } = exchange('expired', { outcome: 'success', applied: false });
    await applyLedgerState(x, coupon('available'));
    assert.equal(calls[0].meta.actor, 'couponbridge');
    assert.deepEqual(x.notes, ['coupon C1 changed concurrently; ledger left as is']);
  });
});
