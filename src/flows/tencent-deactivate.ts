/**
 * Flow T4 — Tencent 设置可用优惠券过期/失效, single (`/tencent/sp/coupon/deactivate`) and batch
 * (`/tencent/sp/coupon/batch/deactivate`, at most 10 coupons: the schema refuses more):
 *   accept → settle the coupons in the ledger (all-or-nothing) → send each settled coupon to P云
 *   as a grant/sync expire (status=-2; fields from the mapping's branch for the coupon's ledger
 *   state) → answer `deactivate_time` (single) or `expire_coupons` / `deactivate_coupons` (batch).
 * Rules (seed 002 注意事项): only an `available` coupon moves (to expired for coupon_status 3,
 * invalid for 4: the mapping's `target_state`); one already expired or invalid satisfies the
 * request, is not changed and is still reported; any other state (used, refunded) refuses the
 * whole request and changes nothing.
 * Decisions where the seed is silent (also in docs/flows.md, "Tencent flows"):
 *  - a refused batch is a normal answer (code 0) carrying only `illegal_coupons` with the Tencent
 *    status (refunded shows as 2); a refused single coupon is 400212;
 *  - an unknown coupon — not in the ledger, a pending reservation, in another stock, or held by
 *    another user_code — is 400211, for the single call and for the whole batch (illegal_coupons
 *    needs a status an unknown coupon does not have); nothing changes;
 *  - a coupon listed twice in a batch is settled and reported once;
 *  - the time reported for a coupon is when the ledger recorded its end: now for one changed by
 *    this request, the recorded transition for one already expired/invalid (a retry answers the
 *    same time); a coupon already in the other final state is listed under the requested status;
 *  - P云 delivery is synchronous and comes after the ledger change (so no redeem can slip in
 *    between). Every settled coupon is sent, the satisfied ones again, so a retry after a P云
 *    failure re-delivers (P云 accepts a repeated expire). The first P云 failure stops the loop and
 *    is answered through the code table (P云 down/1405/1500 → 500000: Tencent retries); the ledger
 *    change stands and the journal notes which coupons reached P云;
 *  - a transition that loses a race with a concurrent change is re-planned twice, then 500000.
 */
import { CbError } from '../errors';
import type { Answer } from '../dialects/types';
import type { Exchange } from '../pipeline/context';
import { acceptInbound, failed, forward } from '../pipeline/translate';
import { buildFields, mapContext, mapping, selectBranch } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { ledgerContext } from '../ledger/coupons';
import { stockView } from '../ledger/stocks';
import { toTencentStatus } from '../ledger/state-machine';
import { toCstIso } from '../time';
import { settleCoupons, type Illegal, type Requested, type Settled } from './tencent-coupon-settle';

function requestedCoupons(f: Record<string, unknown>): Requested[] {
  const list = Array.isArray(f.coupons)
    ? (f.coupons as Requested[])
    : [{ stock_id: String(f.stock_id), coupon_id: String(f.coupon_id) }];
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

/** The answer's data as ctx values the mapping places (set before P云 is called: mapBack answers with them). */
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

/** One P云 grant/sync expire for one settled coupon; true when P云 accepted it. */
async function propagate(x: Exchange, s: Settled): Promise<boolean> {
  const view = await stockView(x.rt.store, x.rt.table.stocks, s.coupon.stockId);
  x.map = { ...x.map!, ledger: ledgerContext(s.coupon), stock: view as unknown as Record<string, unknown> };
  selectBranch(x);
  await forward(x, buildFields(x));
  x.notes.push(`P云 expire of coupon ${s.requested.coupon_id} (${x.branch!.name}): ${x.outcome}`);
  return x.outcome === 'success';
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

export async function deactivate(x: Exchange): Promise<Answer> {
  try {
    await acceptInbound(x);
    const f = x.msg!.fields;
    const batch = Array.isArray(f.coupons);
    const wanted = requestedCoupons(f);
    x.businessKeys.push(...wanted.map((c) => c.coupon_id));
    x.map = mapContext(x);
    mapping(() => x.route.mapping.vars(x.map!));
    const to = targetState(x);
    const plan = await settleCoupons(x, wanted, to);
    if (plan.kind === 'unknown') throw new CbError('CB_COUPON_NOT_FOUND', plan.reasons.join('; '));
    if (plan.kind === 'illegal') return refuse(x, plan.illegal, to, batch);
    Object.assign(x.map.ctx, answerContext(plan.settled, to));
    for (const s of plan.settled) if (!(await propagate(x, s))) return x.answer!;
    x.answer = successAnswer(x);
    x.outcome = 'success';
    x.retryable = false;
  } catch (e) {
    failed(x, e);
  }
  return x.answer!;
}
