/**
 * Simulated Dianping coupon-consume platform (seed 004): GET query or POST form on
 * /api/coupon/{consumeCoupon,consumeCoreCoupon,consumeExtendCoupon,consumeCouponOrder}, signed
 * with dianping-sha1 (`appkey`) or dianping-router-md5 (`app_key`). Errors use the protocol's own
 * codes (3001001 订单号重复, 3001002, 3001003, 3002001, 3002002) and, for transport and signature
 * failures, the adapter codes of src/dialects/dianping/codes.ts. A small in-memory model:
 * - consumeCoupon: a new orderId consumes its codes; a repeated orderId → 3001001.
 * - consumeCoreCoupon consumes codes without an order; consumeExtendCoupon then attaches the order
 *   (no code core-consumed → 3001002; codes that do not match → 3001003; orderId known → 3001001).
 * - consumeCouponOrder: unknown orderId → consume; known → refund (already refunded → 3002001;
 *   an order created without orderAmount/freightFee/attributes → 3002002).
 * A failed call changes nothing, so a retry after a failure is never a duplicate.
 */
import { dialects } from '../dialects';
import type { Answer, ParsedMessage, RawRequest } from '../dialects/types';
import { isCbError, type CbCode } from '../errors';
import type { Platform, RecordedRequest } from './server';
import { dianpingRouterSign, dianpingSha1Sign, sameSignature } from './signatures';

const BASE = '/api/coupon/';
const DETAILS = [
  'shopName',
  'consumeTime',
  'orderId',
  'orderAmount',
  'payAmount',
  'freightFee',
  'attributes',
];
const REQUIRED: Record<string, string[]> = {
  consumeCoupon: ['couponCode', ...DETAILS],
  consumeCoreCoupon: ['couponCode', 'consumeTime'],
  consumeExtendCoupon: ['couponCode', ...DETAILS],
  consumeCouponOrder: ['orderId', 'shopName', 'consumeTime', 'payAmount'],
};
const AMOUNT = /^\d+(\.\d+)?$/;

export interface DianpingSandboxOptions {
  app_key?: string;
  secret?: string;
  scheme: string;
  empty_values?: 'skip' | 'sign';
  verifySignatures: boolean;
}

interface Order {
  codes: string[];
  complete: boolean;
  refunded: boolean;
}

class Refusal {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

const adapter = (code: CbCode, message: string): Refusal =>
  new Refusal(String(dialects.dianping.codes[code]), message);

export class DianpingPlatform implements Platform {
  readonly target = 'dianping';
  private readonly orders = new Map<string, Order>();
  /** coupon code → the order that consumed it, or null when consumed by consumeCoreCoupon alone. */
  private readonly consumed = new Map<string, string | null>();

  constructor(private readonly opts: DianpingSandboxOptions) {}

  handle(req: RawRequest, rec: RecordedRequest): Answer {
    try {
      const operation = this.operationOf(req);
      const msg = parse(req);
      rec.fields = msg.fields;
      this.authenticate(msg, req);
      const f = msg.signingParams;
      const missing = REQUIRED[operation].find((k) => (f[k] ?? '') === '');
      if (missing !== undefined) throw adapter('CB_SCHEMA_INVALID', `缺少参数 ${missing}`);
      checkFormats(f);
      const codes = f.couponCode ? couponCodes(f.couponCode) : [];
      if (operation === 'consumeCoupon') this.consume(f.orderId, codes, true);
      else if (operation === 'consumeCoreCoupon') this.consumeCore(codes);
      else if (operation === 'consumeExtendCoupon') this.extend(f.orderId, codes);
      else this.consumeOrRefund(f, codes);
      return dialects.dianping.envelope.success();
    } catch (e) {
      if (e instanceof Refusal) return dialects.dianping.envelope.error({ code: e.code, message: e.message });
      throw e;
    }
  }

  codeAnswer(code: string, message: string | undefined): Answer {
    return dialects.dianping.envelope.error({ code, message: message ?? `sandbox injected ${code}` });
  }

  private operationOf(req: RawRequest): string {
    const operation = req.path.startsWith(BASE) ? req.path.slice(BASE.length) : '';
    if (!Object.hasOwn(REQUIRED, operation)) throw adapter('CB_ROUTE_NOT_FOUND', `no such API: ${req.path}`);
    if (!['GET', 'POST'].includes(req.method.toUpperCase())) {
      throw adapter('CB_METHOD_NOT_ALLOWED', `method ${req.method} not allowed`);
    }
    return operation;
  }

  private authenticate(msg: ParsedMessage, _req: RawRequest): void {
    if (!this.opts.verifySignatures) return;
    const key = dialects.dianping.identify(msg);
    if (key === undefined || key !== this.opts.app_key || this.opts.secret === undefined) {
      throw adapter('CB_UNKNOWN_PARTNER', `appkey ${key ?? '(absent)'} 不存在`);
    }
    if ((msg.signingParams.sign ?? '') === '') throw adapter('CB_SIGN_MISSING', '缺少参数 sign');
    const params = msg.signingParams;
    const expected =
      this.opts.scheme === 'dianping-router-md5'
        ? dianpingRouterSign(params, this.opts.secret, this.opts.empty_values)
        : dianpingSha1Sign(params, key, this.opts.secret, this.opts.empty_values);
    if (!sameSignature(expected.sign, params.sign))
      throw adapter('CB_SIGN_MISMATCH', `签名错误 (${expected.masked})`);
  }

  private consume(orderId: string, codes: string[], complete: boolean): void {
    if (this.orders.has(orderId)) throw new Refusal('3001001', '订单号重复');
    const used = codes.find((c) => this.consumed.has(c));
    if (used !== undefined) throw adapter('CB_ILLEGAL_TRANSITION', `优惠券 ${used} 已使用`);
    this.orders.set(orderId, { codes, complete, refunded: false });
    for (const c of codes) this.consumed.set(c, orderId);
  }

  private consumeCore(codes: string[]): void {
    if (codes.some((c) => this.consumed.has(c))) throw new Refusal('3001001', '订单号重复');
    for (const c of codes) this.consumed.set(c, null);
  }

  private extend(orderId: string, codes: string[]): void {
    const order = this.orders.get(orderId);
    if (order) {
      const same = order.codes.length === codes.length && codes.every((c) => order.codes.includes(c));
      throw same ? new Refusal('3001001', '订单号重复') : new Refusal('3001003', '优惠券券号不一致，请确认');
    }
    if (!codes.some((c) => this.consumed.get(c) === null)) {
      throw new Refusal('3001002', '订单号不存在,请确认订单号是否正确');
    }
    if (!codes.every((c) => this.consumed.get(c) === null))
      throw new Refusal('3001003', '优惠券券号不一致，请确认');
    this.orders.set(orderId, { codes, complete: true, refunded: false });
    for (const c of codes) this.consumed.set(c, orderId);
  }

  private consumeOrRefund(f: Record<string, string>, codes: string[]): void {
    const order = this.orders.get(f.orderId);
    if (!order) {
      const complete = ['orderAmount', 'freightFee', 'attributes'].every((k) => (f[k] ?? '') !== '');
      return this.consume(f.orderId, codes, complete);
    }
    if (order.refunded) throw new Refusal('3002001', '订单号不存在,请确认订单号是否正确');
    if (!order.complete) throw new Refusal('3002002', '请先完善订单信息,再尝试操作');
    order.refunded = true;
    for (const c of order.codes) this.consumed.delete(c);
  }
}

function parse(req: RawRequest): ParsedMessage {
  try {
    return dialects.dianping.parse(req);
  } catch (e) {
    if (!isCbError(e)) throw e;
    throw adapter(e.code, e.detail);
  }
}

/** `couponCode` is one code or a JSON list of codes. */
function couponCodes(text: string): string[] {
  if (!text.trimStart().startsWith('[')) return [text];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw adapter('CB_SCHEMA_INVALID', 'couponCode is not a valid JSON list');
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string' && c !== '')) {
    throw adapter('CB_SCHEMA_INVALID', 'couponCode must be a code or a non-empty JSON list of codes');
  }
  return list as string[];
}

function checkFormats(f: Record<string, string>): void {
  if (f.consumeTime !== undefined && !/^\d+$/.test(f.consumeTime)) {
    throw adapter('CB_SCHEMA_INVALID', 'consumeTime must be epoch milliseconds');
  }
  const badAmount = ['orderAmount', 'payAmount', 'freightFee'].find(
    (k) => (f[k] ?? '') !== '' && !AMOUNT.test(f[k]),
  );
  if (badAmount !== undefined)
    throw adapter('CB_SCHEMA_INVALID', `${badAmount} must be a decimal amount in 元`);
  if ((f.attributes ?? '') !== '') {
    let attributes: unknown;
    try {
      attributes = JSON.parse(f.attributes);
    } catch {
      attributes = undefined;
    }
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
      throw adapter('CB_SCHEMA_INVALID', 'attributes must be a JSON object');
    }
  }
}
