/**
 * Flow T4 — Tencent 设置可用优惠券过期/失效, single (`/tencent/sp/coupon/deactivate`) and batch
 * (`/tencent/sp/coupon/batch/deactivate`, at most 10 coupons: the schema refuses more):
 *   accept → settle the coupons in the ledger (all-or-nothing), storing in the same transaction one
 *   P云 grant/sync expire notification per coupon it moves (outbox kind pyun.grant_sync_expire@1,
 *   destination pyun; fields from the mapping's branch for the coupon's final state) → answer
 *   `deactivate_time` (single) or `expire_coupons` / `deactivate_coupons` (batch) → wake the outbox
 *   worker, which delivers to P云 with retries and backoff, then a dead letter.
 * Rules (seed 002 注意事项): only an `available` coupon moves (to expired for coupon_status 3,
 * invalid for 4: the mapping's `target_state`); one already expired or invalid satisfies the
 * request, is not changed and is still reported; any other state (used, refunded) refuses the
 * whole request and changes nothing.
 * Decisions where the seed is silent (also in docs/flows.md, "Tencent flows"):
 *  - a refused batch is a normal answer (code 0) carrying only `illegal_coupons` with the Tencent
 *    status (refunded shows as 2); a refused single coupon is 400212; nothing is enqueued;
 *  - an unknown coupon — not in the ledger, another partner's, a pending reservation, in another
 *    stock, or held by another user_code — is 400211, for the single call and for the whole batch (illegal_coupons
 *    needs a status an unknown coupon does not have); nothing changes;
 *  - a coupon listed twice in a batch is settled, enqueued and reported once;
 *  - the time reported for a coupon is when the ledger recorded its end: now for one changed by
 *    this request, the recorded transition for one already expired/invalid (a retry answers the
 *    same time); a coupon already in the other final state is listed under the requested status;
 *  - P云 no longer decides the answer: success means the ledger change and the notifications are
 *    stored. The payload is deterministic for a coupon (status_time = that same recorded end, in
 *    UTC; dedup key `expire:<grant_serial>`), so an already ended coupon is enqueued again as an
 *    identical item: a no-op, or the recovery of one never stored (a coupon ended elsewhere, or
 *    by an earlier version); when the outbox holds a different one under the key, it is kept;
 *  - a transition that loses a race with a concurrent change is re-planned twice, then 500000.
 */
import { CbError } from '../errors';
import type { Answer } from '../dialects/types';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { TencentCouponBatchDeactivateRequest, TencentCouponDeactivateRequest } from '../generated';
import { mapContext, mapping, selectBranch } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { ledgerContext } from '../ledger/coupons';
import { stockView } from '../ledger/stocks';
import { toTencentStatus } from '../ledger/state-machine';
import { checkNotifications, notificationsStored } from '../outbox/enqueue';
import type { OutboxItemInput } from '../store/types';
import { toCstIso, toUtcIso } from '../time';
import { branchNotification } from './notification';
import { settleCoupons, type Illegal, type Requested, type Settled } from './tencent-coupon-settle';

/** The outbox destination of the expire notifications: the P云 upstream, couponbridge's own app. */
const PYUN = 'pyun';

/** The single route's message or the batch route's: both are settled by one rule. */
type DeactivateRequest = TencentCouponDeactivateRequest | TencentCouponBatchDeactivateRequest;

function requestedCoupons(f: DeactivateRequest): Requested[] {
  let list: Requested[];
  if ('coupons' in f && Array.isArray(f.coupons)) list = f.coupons;
  else {
    const one = f as TencentCouponDeactivateRequest;
    list = [{ stock_id: String(one.stock_id), coupon_id: String(one.coupon_id) }];
  }
  const seen = new Set<string>();
  return list.filter((c) => !seen.has(c.coupon_id) && seen.add(c.coupon_id));
}

function targetState(x: Exchange): 'expired' | 'invalid' {
  const to = x.map!.ctx.target_state;
  if (to !== 'expired' && to !== 'invalid') {
    throw new CbError(
      'CB_MAPPING_FAILED',
      `vars.target_state must be expired or invalid, got ${JSON.stringify(to)}`,
    );
  }
  return to;
}

/** The answer's data as ctx values the mapping places. */
function answerContext(settled: Settled[], to: 'expired' | 'invalid'): Record<string, unknown> {
  const timeKey = to === 'expired' ? 'expire_time' : 'deactivate_time';
  const list = settled.map((s) => ({
    stock_id: s.requested.stock_id,
    coupon_id: s.requested.coupon_id,
    [timeKey]: toCstIso(s.endedAt.getTime()),
  }));
  return {
    deactivate_time: toCstIso(settled[0].endedAt.getTime()),
    expire_coupons: to === 'expired' ? list : undefined,
    deactivate_coupons: to === 'invalid' ? list : undefined,
  };
}

/** One P云 expire per settled coupon, mapped by the branch of the state it ends in. */
async function expireNotifications(x: Exchange, settled: Settled[]): Promise<OutboxItemInput[]> {
  const items: OutboxItemInput[] = [];
  for (const s of settled) {
    const view = await stockView(x.rt.store, x.rt.table.stocks, s.coupon.stockId, x.partner!.id);
    x.map = { ...x.map!, ledger: ledgerContext(s.coupon), stock: view as unknown as Record<string, unknown> };
    x.map.ctx.ended_at = toUtcIso(s.endedAt.getTime());
    selectBranch(x);
    items.push(branchNotification(x, PYUN));
  }
  checkNotifications(x.rt, items);
  return items;
}

/** Any coupon used or refunded: a single coupon is 400212; a batch answers code 0 listing illegal_coupons. */
function refuse(x: Exchange, illegal: Illegal[], to: 'expired' | 'invalid', batch: boolean): Answer {
  const states = illegal.map((i) => `${i.requested.coupon_id} is ${i.coupon.state}`).join(', ');
  if (!batch)
    throw new CbError('CB_ILLEGAL_TRANSITION', `coupon ${states} in the ledger and cannot become ${to}`);
  x.map!.ctx.illegal_coupons = illegal.map((i) => ({
    stock_id: i.requested.stock_id,
    coupon_id: i.requested.coupon_id,
    coupon_status: toTencentStatus(i.coupon.state),
  }));
  x.answer = successAnswer(x);
  x.outcome = 'CB_ILLEGAL_TRANSITION';
  x.retryable = false;
  x.notes.push(`batch refused, nothing changed: ${states}`);
  return x.answer;
}

export const deactivate = inboundFlow<DeactivateRequest>(async (x, f) => {
  const batch = 'coupons' in f && Array.isArray(f.coupons);
  const wanted = requestedCoupons(f);
  x.businessKeys.push(...wanted.map((c) => c.coupon_id));
  x.map = mapContext(x);
  mapping(() => x.route.mapping.vars(x.map!));
  const to = targetState(x);
  const plan = await settleCoupons(x, wanted, to, (settled) => expireNotifications(x, settled));
  if (plan.kind === 'unknown') throw new CbError('CB_COUPON_NOT_FOUND', plan.reasons.join('; '));
  if (plan.kind === 'illegal') {
    refuse(x, plan.illegal, to, batch);
    return;
  }
  notificationsStored();
  for (const item of plan.items) {
    x.businessKeys.push(item.dedupKey);
    x.notes.push(`outbox: ${item.kind}@${item.v} to ${item.destination} (dedup ${item.dedupKey})`);
  }
  Object.assign(x.map.ctx, answerContext(plan.settled, to));
  x.answer = successAnswer(x);
  x.outcome = 'success';
  x.retryable = false;
});
