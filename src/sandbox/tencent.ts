/**
 * Simulated Tencent 出行服务 platform: the side that receives an SP's callbacks under
 * `/openplatform/api/v1/coupon` (/stock/rsync, /coupon/rsync, /stock/status/rsync,
 * /coupon/status/rsync). Checks in order: URL (400001), method (400002), JSON body and the common
 * parameters (400000), api_key (400003), timestamp within ±window, seconds or ms (400004),
 * tencent-md5 signature (400005), nonce not seen inside the window (400004), then the callback's
 * required business fields and integer types (400000). Success: `{"code":0,"message":"successful"}`.
 * Required fields come from seed 002, independently of couponbridge's schemas.
 */
import { dialects } from '../dialects';
import type { Answer, ParsedMessage, RawRequest } from '../dialects/types';
import { isCbError } from '../errors';
import type { Platform, RecordedRequest } from './server';
import { sameSignature, tencentSign } from './signatures';

export const TENCENT_PREFIX = '/openplatform/api/v1/coupon';
const COMMON = ['api_key', 'seq_id', 'timestamp', 'nonce', 'sign'];
const CALLBACKS: Record<string, { required: string[]; integers: string[] }> = {
  '/stock/rsync': {
    required: [
      'app_channel_id',
      'app_id',
      'stock_id',
      'stock_name',
      'instructions',
      'coupon_name',
      'coupon_desc',
      'coupon_type',
      'max_coupons',
      'max_coupons_per_user',
      'available_begin_time',
      'available_end_time',
      'create_time',
      'stock_status',
    ],
    integers: [
      'app_channel_id',
      'buss_classify',
      'coupon_type',
      'max_coupons',
      'max_coupons_per_user',
      'stock_status',
    ],
  },
  '/coupon/rsync': {
    required: [
      'app_channel_id',
      'user_code',
      'app_id',
      'stock_id',
      'coupon_id',
      'coupon_type',
      'available_begin_time',
      'available_end_time',
      'receive_time',
      'coupon_status',
    ],
    integers: ['app_channel_id', 'coupon_type', 'coupon_status'],
  },
  '/stock/status/rsync': { required: ['stock_id', 'stock_status'], integers: ['stock_status'] },
  '/coupon/status/rsync': {
    required: ['app_channel_id', 'user_code', 'stock_id', 'coupon_id', 'coupon_status'],
    integers: ['app_channel_id', 'coupon_status'],
  },
};

export interface TencentSandboxOptions {
  api_key?: string;
  secret?: string;
  verifySignatures: boolean;
  windowS: number;
}

class Refusal {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

export class TencentPlatform implements Platform {
  readonly target = 'tencent';
  /** `api_key nonce` → when it may be forgotten (ms); insertion order ≈ expiry order. */
  private readonly nonces = new Map<string, number>();

  constructor(private readonly opts: TencentSandboxOptions) {}

  handle(req: RawRequest, rec: RecordedRequest): Answer {
    try {
      const callback = this.callbackOf(req);
      const msg = parse(req);
      rec.fields = msg.fields;
      requireFields(msg, COMMON);
      this.authenticate(msg, req);
      requireFields(msg, callback.required);
      const notInteger = callback.integers.find((k) => k in msg.fields && !Number.isInteger(msg.fields[k]));
      if (notInteger !== undefined) throw new Refusal(400000, `参数错误: ${notInteger} must be an integer`);
      return dialects.tencent.envelope.success();
    } catch (e) {
      if (e instanceof Refusal) return dialects.tencent.envelope.error({ code: e.code, message: e.message });
      throw e;
    }
  }

  codeAnswer(code: string, message: string | undefined): Answer {
    return dialects.tencent.envelope.error({ code, message: message ?? `sandbox injected ${code}` });
  }

  private callbackOf(req: RawRequest): { required: string[]; integers: string[] } {
    const suffix = req.path.startsWith(TENCENT_PREFIX) ? req.path.slice(TENCENT_PREFIX.length) : undefined;
    const callback = suffix === undefined ? undefined : CALLBACKS[suffix];
    if (!callback) throw new Refusal(400001, `URL错误: ${req.path}`);
    if (req.method.toUpperCase() !== 'POST') throw new Refusal(400002, `请求方法错误: ${req.method}`);
    return callback;
  }

  private authenticate(msg: ParsedMessage, _req: RawRequest): void {
    if (!this.opts.verifySignatures) return;
    const apiKey = dialects.tencent.identify(msg);
    if (this.opts.api_key === undefined || this.opts.secret === undefined || apiKey !== this.opts.api_key) {
      throw new Refusal(400003, `api_key错误: ${apiKey}`);
    }
    const now = Date.now();
    const ts = Number(msg.signingParams.timestamp);
    if (!/^\d+$/.test(msg.signingParams.timestamp))
      throw new Refusal(400000, '参数错误: timestamp must be epoch s or ms');
    const tsMs = ts > 1e12 ? ts : ts * 1000;
    const windowMs = this.opts.windowS * 1000;
    if (Math.abs(now - tsMs) > windowMs) {
      throw new Refusal(
        400004,
        `timestamp过期: ${msg.signingParams.timestamp} is outside ±${this.opts.windowS} s`,
      );
    }
    const expected = tencentSign(msg.signingParams, this.opts.secret);
    if (!sameSignature(expected.sign, msg.signingParams.sign))
      throw new Refusal(400005, `签名校验失败 (${expected.masked})`);
    this.forgetOldNonces(now);
    const key = `${apiKey} ${msg.signingParams.nonce}`;
    if (this.nonces.has(key)) throw new Refusal(400004, `nonce重复: ${msg.signingParams.nonce}`);
    this.nonces.set(key, now + 2 * windowMs);
  }

  private forgetOldNonces(now: number): void {
    for (const [key, until] of this.nonces) {
      if (until > now) break;
      this.nonces.delete(key);
    }
  }
}

function parse(req: RawRequest): ParsedMessage {
  try {
    return dialects.tencent.parse(req);
  } catch (e) {
    if (!isCbError(e)) throw e;
    throw new Refusal(400000, `参数错误: ${e.detail}`);
  }
}

function requireFields(msg: ParsedMessage, names: string[]): void {
  const missing = names.find(
    (k) => msg.fields[k] === undefined || msg.fields[k] === null || msg.fields[k] === '',
  );
  if (missing !== undefined) throw new Refusal(400000, `参数错误: 缺少 ${missing}`);
}
