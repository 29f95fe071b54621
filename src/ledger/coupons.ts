/**
 * Ledger coupons as mappings see them (`ledger.<field>`, snake_case like the wire) and the
 * ledger rule of the generic translate flow: a message about a known coupon reads its record;
 * an unknown one may be registered from the message; a branch with `ledger_state` is sent only
 * when the coupon may move to that state, is not sent again when it is already there (never
 * double-redeemed), and moves it once the upstream accepted.
 */
import { CbError } from '../errors';
import { canTransition } from './state-machine';
import { byTencentRef, ownedCoupon, stockOf } from './ownership';
import { compileGetter } from '../mapping/paths';
import type { CouponRecord, TransitionMeta } from '../store/types';
import type { Exchange } from '../pipeline/context';

/** Fields of a ledger coupon record that mappings may read as `ledger.<field>`. */
export const ledgerFields = [
  'id',
  'coupon_id',
  'stock_id',
  'user_code',
  'coupon_code',
  'grant_serial',
  'park_uuid',
  'face_value_fen',
  'coupon_type',
  'state',
  'partner',
  'plate',
  'available_begin_time',
  'available_end_time',
] as const;

export function ledgerContext(c: CouponRecord): Record<string, unknown> {
  return {
    id: c.id,
    coupon_id: c.couponId,
    stock_id: c.stockId,
    user_code: c.userCode,
    coupon_code: c.couponCode,
    grant_serial: c.grantSerial,
    park_uuid: c.parkUuid,
    face_value_fen: c.faceValue,
    coupon_type: c.couponType,
    state: c.state,
    partner: c.partner,
    plate: c.attrs?.plate,
    available_begin_time: c.validFrom,
    available_end_time: c.validUntil,
  };
}

export function metaOf(x: Exchange, reason?: string): TransitionMeta {
  return { actor: x.partner?.id ?? 'couponbridge', at: x.now, exchangeId: x.id, reason };
}

/**
 * Loads (or registers) the coupon a message is about, found by coupon id or P云 grant serial among
 * the calling partner's coupons; undefined when the mapping has no ledger rule, or when the coupon
 * is unknown and `grant_serial_fallback: coupon_id` lets the mapping send the reference as the
 * grant serial. Another partner's coupon is answered exactly as an unknown one (CB_COUPON_NOT_FOUND,
 * nothing sent); a registering sync (`/coupon/rsync`) cannot take over its id either.
 */
export async function loadLedgerCoupon(x: Exchange): Promise<CouponRecord | undefined> {
  const spec = x.route.doc.ledger;
  if (!spec) return undefined;
  const f = x.msg!.fields;
  const couponId = compileGetter(spec.coupon)({ in: f });
  if (typeof couponId !== 'string' || couponId === '') return undefined;
  x.businessKeys.push(couponId);
  const store = x.rt.store;
  const partner = x.partner!.id;
  const { coupon: known, foreign } = await ownedCoupon(store, partner, ...byTencentRef(couponId));
  if (known) return known;
  if (foreign) x.notes.push(`coupon ${couponId} belongs to another partner: answered as unknown`);
  const unknown = new CbError('CB_COUPON_NOT_FOUND', `coupon ${couponId} is unknown`);
  if (!spec.register) {
    if (foreign || x.rt.config.grant_serial_fallback === 'none') throw unknown;
    x.notes.push(`coupon ${couponId} is unknown: sent as its own grant serial (grant_serial_fallback)`);
    return undefined;
  }
  if (foreign) throw unknown;
  const fixed = f.fixed_normal_coupon as { coupon_amount?: number } | undefined;
  const stock = stockOf(x.rt.table.stocks, typeof f.stock_id === 'string' ? f.stock_id : undefined, partner);
  const { coupon } = await store.upsertCoupon(
    {
      id: `tencent:${couponId}`,
      stockId: String(f.stock_id ?? ''),
      partner,
      couponId,
      userCode: typeof f.user_code === 'string' ? f.user_code : undefined,
      couponType: typeof f.coupon_type === 'number' ? f.coupon_type : undefined,
      faceValue: fixed?.coupon_amount !== undefined ? Number(fixed.coupon_amount) : stock?.face_value_fen,
      parkUuid: stock?.park_uuid,
      validFrom: typeof f.available_begin_time === 'string' ? f.available_begin_time : undefined,
      validUntil: typeof f.available_end_time === 'string' ? f.available_end_time : undefined,
      state: 'available',
    },
    metaOf(x, 'registered from a coupon sync'),
  );
  x.notes.push(`registered coupon ${couponId} in the ledger`);
  return coupon;
}

/** Before calling: true when the coupon is already in the branch's state (nothing to send). */
export function alreadyApplied(x: Exchange, coupon: CouponRecord | undefined): boolean {
  const to = x.branch?.ledgerState;
  if (!to || !coupon) return false;
  if (coupon.state === to) {
    x.notes.push(`coupon ${coupon.couponId} is already ${to} in the ledger; not sent again`);
    return true;
  }
  if (!canTransition(coupon.state, to)) {
    throw new CbError(
      'CB_ILLEGAL_TRANSITION',
      `coupon ${coupon.couponId} is ${coupon.state} in the ledger and cannot become ${to}`,
    );
  }
  return false;
}

/** After the upstream accepted: moves the coupon; a concurrent change is noted, never forced. */
export async function applyLedgerState(x: Exchange, coupon: CouponRecord | undefined): Promise<void> {
  const to = x.branch?.ledgerState;
  if (!to || !coupon || x.outcome !== 'success') return;
  const r = await x.rt.store.transition([coupon.id], to, metaOf(x));
  x.notes.push(
    r.applied
      ? `coupon ${coupon.couponId}: ${coupon.state} → ${to}`
      : `coupon ${coupon.couponId} changed concurrently; ledger left as is`,
  );
}
