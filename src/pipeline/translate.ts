/**
 * The generic translation pipeline (flow `translate`), top to bottom:
 * parse → identify → verify → replay → validate → map → sign → validate outbound → call →
 * map back → answer. Every failure at every step becomes the caller's dialect error.
 */
import type { Answer } from '../dialects/types';
import { CbError, isUndisclosed, toCbError, type CbCode } from '../errors';
import type { Exchange } from './context';
import type { CouponRecord } from '../store/types';
import { identify, parse, replay, validateInbound, verify } from './stages/inbound';
import { buildFields, mapContext, selectBranch } from './stages/map';
import { alreadyApplied, applyLedgerState, ledgerContext, loadLedgerCoupon } from '../ledger/coupons';
import { call, sign, validateOutbound } from './stages/outbound';
import { errorAnswer, mapBack, successAnswer } from './stages/answer';
import { noteRedeemAnswer } from '../reconcile/anomalies';

/** Stages that run before any flow-specific logic; shared by every flow. */
export async function acceptInbound(x: Exchange): Promise<void> {
  parse(x);
  identify(x);
  verify(x);
  // after verify, so that a forger cannot spend a partner's allowance; before anything is stored
  await x.rt.rateLimits.take(x.partner!.id);
  await replay(x);
  validateInbound(x);
}

/**
 * The scaffolding of every ledger flow: accept the message (parse → identify → verify → replay →
 * validate against the route's schema), run the flow's rule on the validated fields, and answer any
 * failure in the caller's dialect (`fail`). `T` is the route's generated request type
 * (src/generated): the fields were validated against that schema. The rule sets x.answer.
 */
export function inboundFlow<T>(
  rule: (x: Exchange, fields: T) => Promise<void>,
  fail: (x: Exchange, e: unknown) => Answer = failed,
): (x: Exchange) => Promise<Answer> {
  return async (x) => {
    try {
      await acceptInbound(x);
      await rule(x, x.msg!.fields as T);
    } catch (e) {
      fail(x, e);
    }
    return x.answer!;
  };
}

/** Signs, validates and sends the current branch's message, then maps the outcome back. */
export async function forward(x: Exchange, fields: Record<string, unknown>): Promise<void> {
  sign(x, fields);
  validateOutbound(x);
  await call(x);
  mapBack(x);
  noteRedeemAnswer(x);
}

/** Records a failure as the caller's dialect error. */
export function failed(x: Exchange, e: unknown): Answer {
  const err = toCbError(e);
  // the caller reads "system error, retry" for these; the journal keeps what happened
  if (isUndisclosed(err)) x.notes.push(`${err.code}: ${err.message}`);
  x.answer = errorAnswer(x.route.dialect, err, x.rt.entropy);
  x.outcome = err.code;
  x.retryable = err.retryable;
  return x.answer;
}

/**
 * A ledger-backed call names the coupon at P云 by the grant serial the ledger holds; a coupon
 * registered from a sync has none, and only `grant_serial_fallback: coupon_id` lets its coupon_id
 * stand in (docs/security.md).
 */
function requireGrantSerial(x: Exchange, coupon: CouponRecord | undefined): void {
  if (!coupon || coupon.grantSerial || x.rt.config.grant_serial_fallback !== 'none') return;
  throw new CbError(
    'CB_COUPON_NOT_FOUND',
    `coupon ${coupon.couponId ?? coupon.id} has no P云 grant serial in the ledger (grant_serial_fallback: none)`,
  );
}

export async function translate(x: Exchange): Promise<Answer> {
  try {
    await acceptInbound(x);
    const coupon = await loadLedgerCoupon(x);
    x.map = mapContext(x, coupon ? ledgerContext(coupon) : undefined);
    selectBranch(x);
    const branch = x.branch!;
    if (branch.action === 'record' || alreadyApplied(x, coupon)) {
      x.answer = successAnswer(x);
      x.outcome = 'recorded';
    } else if (branch.action === 'reject') {
      const code = (branch.error?.cb_code ?? 'CB_MAPPING_FAILED') as CbCode;
      throw new CbError(code, branch.error?.message ?? `branch ${branch.name} refuses this message`);
    } else {
      requireGrantSerial(x, coupon);
      await forward(x, buildFields(x));
      await applyLedgerState(x, coupon);
    }
  } catch (e) {
    failed(x, e);
  }
  return x.answer!;
}
