/**
 * Pieces the Dianping consume flows (D1–D4) share: the partner protocol's own error answers with
 * the seed's exact messages, couponCode parsing (one code or a JSON list), the 元 amounts as exact
 * 分 with the discount `orderAmount + freightFee − payAmount`, each code's share of it, the order
 * details kept in the ledger and the ledger lookup of a code. Idempotency: pipeline/idempotency.ts,
 * on the key each mapping declares.
 */
import { CbError, toCbError, type CbCode } from '../errors';
import type { Answer } from '../dialects/types';
import type { Exchange } from '../pipeline/context';
import { failed } from '../pipeline/translate';
import type { RunOutcome } from '../ledger/idempotency';
import { fenToYuan, MoneyError, splitFen, yuanToFen } from '../money';
import type { CouponRecord } from '../store/types';
import { byDianpingCode, ownedCoupon, type Owned } from '../ledger/ownership';

/** The seed's messages for the partner codes (seed 004); the POS may match on them, so no detail is added. */
const seedMessages: Partial<Record<CbCode, string>> = {
  CB_ORDER_DUPLICATE: '订单号重复',
  CB_ORDER_NOT_FOUND: '订单号不存在,请确认订单号是否正确',
  CB_COUPON_MISMATCH: '优惠券券号不一致，请确认',
  CB_REFUND_ORDER_NOT_FOUND: '订单号不存在,请确认订单号是否正确',
  CB_ORDER_INCOMPLETE: '请先完善订单信息,再尝试操作',
};

/** Any failure as a Dianping answer; the partner codes carry the seed's message, their detail goes to the journal. */
export function dianpingFailed(x: Exchange, e: unknown): Answer {
  const err = toCbError(e);
  const seed = seedMessages[err.code];
  if (seed === undefined) return failed(x, err);
  const d = x.route.dialect;
  x.notes.push(err.detail);
  x.answer = d.envelope.error({ code: d.codes[err.code], message: seed }, err.status, x.rt.entropy);
  x.outcome = err.code;
  x.retryable = err.retryable;
  return x.answer;
}

function invalid(detail: string): CbError {
  return new CbError('CB_SCHEMA_INVALID', detail);
}

/** `couponCode`: one code, or a JSON list string such as `["DP85","DP95"]`; a code listed twice is refused. */
export function couponCodes(value: unknown): string[] {
  const text = String(value);
  let codes: unknown = [text];
  if (text.trim().startsWith('[')) {
    try {
      codes = JSON.parse(text);
    } catch {
      throw invalid(`couponCode: not a JSON list: ${text.slice(0, 60)}`);
    }
  }
  if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => typeof c === 'string' && c !== '')) {
    throw invalid('couponCode: expected one code or a JSON list of codes such as ["DP85","DP95"]');
  }
  const list = codes as string[];
  const twice = list.find((c, i) => list.indexOf(c) !== i);
  if (twice !== undefined) throw invalid(`couponCode: ${twice} is listed twice`);
  return list;
}

/** consumeCoreCoupon and consumeExtendCoupon name one coupon. */
export function singleCode(value: unknown): string {
  const codes = couponCodes(value);
  if (codes.length !== 1) throw invalid(`couponCode: this route takes one coupon code, got ${codes.length}`);
  return codes[0];
}

export interface OrderAmounts {
  orderAmountFen?: number;
  payAmountFen: number;
  freightFeeFen: number;
  /** orderAmount + freightFee − payAmount; unknown when orderAmount is absent (consumeCouponOrder). */
  discountFen?: number;
}

/** The amount fields of a Dianping message (元 as text), as the generated request types hold them. */
export interface AmountFields {
  orderAmount?: unknown;
  payAmount?: unknown;
  freightFee?: unknown;
}

/** The order fields the ledger keeps. */
export interface OrderFields extends AmountFields {
  shopName?: unknown;
  consumeTime?: unknown;
  comments?: unknown;
  attributes?: unknown;
}

function fen(fields: AmountFields, name: keyof AmountFields): number | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === '') return undefined;
  try {
    return yuanToFen(v);
  } catch (e) {
    if (e instanceof MoneyError) throw invalid(`${name}: ${e.message}`);
    throw e;
  }
}

/** The order's amounts in 分, exactly; a missing freightFee is 0; a negative discount is refused. */
export function orderAmounts(fields: AmountFields): OrderAmounts {
  const payAmountFen = fen(fields, 'payAmount');
  if (payAmountFen === undefined) throw invalid('payAmount: required');
  const freightFeeFen = fen(fields, 'freightFee') ?? 0;
  const orderAmountFen = fen(fields, 'orderAmount');
  if (orderAmountFen === undefined) return { payAmountFen, freightFeeFen };
  const discountFen = orderAmountFen + freightFeeFen - payAmountFen;
  if (discountFen < 0) {
    throw invalid(
      `payAmount: ${fenToYuan(payAmountFen)} exceeds orderAmount + freightFee ` +
        `(${fenToYuan(orderAmountFen)} + ${fenToYuan(freightFeeFen)}): the discount would be ${fenToYuan(discountFen)}`,
    );
  }
  return { orderAmountFen, payAmountFen, freightFeeFen, discountFen };
}

/**
 * Each code's value in 分: the ledger's face values when it knows every coupon's, else the
 * discount split across the codes with the remainder on the first.
 */
export function sharesOf(faceValues: Array<number | undefined>, discountFen: number | undefined): number[] {
  if (faceValues.every((v): v is number => v !== undefined)) return faceValues;
  if (discountFen === undefined) {
    throw invalid(
      "orderAmount: required to compute the discount when the ledger does not know every coupon's face value",
    );
  }
  return splitFen(discountFen, faceValues.length);
}

function attributes(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(String(value));
  } catch {
    v = undefined;
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw invalid('attributes: expected a JSON object');
}

/** The order details the ledger keeps (amounts in 分, attributes decoded). */
export function orderDetails(fields: OrderFields, a: OrderAmounts): Record<string, unknown> {
  const details: Record<string, unknown> = {
    shopName: fields.shopName,
    consumeTime: Number(fields.consumeTime),
    comments: fields.comments,
    attributes: attributes(fields.attributes),
    orderAmountFen: a.orderAmountFen,
    payAmountFen: a.payAmountFen,
    freightFeeFen: a.freightFeeFen,
    discountFen: a.discountFen,
  };
  return Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));
}

/** What the ledger records of a coupon's Dianping use (`attrs.dianping`). */
export interface DianpingUse {
  /** The order that consumed it. */
  orderId?: string;
  /** Set by consumeCoreCoupon: redeemed, awaiting its order details. */
  core?: { consumeTime: number; exchangeId: string };
  couponValueFen?: number;
  applyValueFen?: number;
}

export function dianpingUse(c: CouponRecord | undefined): DianpingUse | undefined {
  return c?.attrs?.dianping as DianpingUse | undefined;
}

/**
 * A Dianping code is the caller's ledger coupon with that couponCode, else the one whose P云 grant
 * serial it is. Another partner's coupon is not returned (`foreign` says it exists, for the journal).
 */
export async function findCoupon(x: Exchange, code: string): Promise<Owned> {
  const found = await ownedCoupon(x.rt.store, x.partner!.id, ...byDianpingCode(code));
  if (found.foreign) x.notes.push(`coupon ${code} belongs to another partner: treated as unknown`);
  return found;
}

/** The run's result for the idempotency record. */
export function runOutcome(x: Exchange, keepRetryable = false): RunOutcome {
  if (x.outcome === 'success') return 'success';
  return x.retryable || keepRetryable ? 'retryable' : 'terminal';
}
