/**
 * Catalog codes in Tencent terms (integers). Platform codes (protocols.md): 400000 bad parameters,
 * 400001 bad URL, 400002 bad method, 400003 bad api_key, 400004 stale timestamp or repeated nonce,
 * 400005 signature check failed, 400101 too frequent, 500000 system error (the caller may retry).
 * couponbridge's own codes, chosen here since the coupon error table is not public:
 *   400102 request_id reused with a different payload (next to 400101, a request-level refusal)
 *   400201 unknown stock            400202 stock not running        400203 stock quota exhausted
 *   400204 per-user quota exhausted 400211 unknown coupon           400212 coupon state forbids it
 *   400220 the upstream refused     400231–400235 order-level refusals (Dianping-shaped flows)
 * Anything retryable (upstream down/slow/garbage, in progress, storage, internal) is 500000.
 */
import type { CbCode } from '../../errors';
import { knownAnswerCodes } from '../shared/codes';

export const codes: Record<CbCode, number> = {
  CB_BODY_MALFORMED: 400000,
  CB_BODY_TOO_LARGE: 400000,
  CB_UNSUPPORTED_MEDIA_TYPE: 400000,
  CB_ROUTE_NOT_FOUND: 400001,
  CB_METHOD_NOT_ALLOWED: 400002,
  CB_UNKNOWN_PARTNER: 400003,
  CB_SIGN_MISSING: 400005,
  CB_SIGN_MISMATCH: 400005,
  CB_STALE_TIMESTAMP: 400004,
  CB_REPLAYED_NONCE: 400004,
  CB_SCHEMA_INVALID: 400000,
  CB_MAPPING_FAILED: 400000,
  CB_UPSTREAM_TIMEOUT: 500000,
  CB_UPSTREAM_UNREACHABLE: 500000,
  CB_UPSTREAM_BUSY: 500000,
  CB_UPSTREAM_BAD_ANSWER: 500000,
  CB_UPSTREAM_REJECTED: 400220,
  CB_IDEMPOTENCY_CONFLICT: 400102,
  CB_IN_PROGRESS: 500000,
  CB_STOCK_NOT_FOUND: 400201,
  CB_STOCK_NOT_RUNNING: 400202,
  CB_QUOTA_EXHAUSTED: 400203,
  CB_USER_QUOTA_EXHAUSTED: 400204,
  CB_COUPON_NOT_FOUND: 400211,
  CB_ILLEGAL_TRANSITION: 400212,
  CB_ORDER_DUPLICATE: 400231,
  CB_ORDER_NOT_FOUND: 400232,
  CB_COUPON_MISMATCH: 400233,
  CB_ORDER_INCOMPLETE: 400234,
  CB_REFUND_ORDER_NOT_FOUND: 400235,
  CB_RATE_LIMITED: 400101,
  CB_SHUTTING_DOWN: 500000,
  CB_STORE_UNAVAILABLE: 500000,
  CB_INTERNAL: 500000,
};

/** Codes of the Tencent platform (protocols.md), then couponbridge's own from the table above. */
export const answerCodes = knownAnswerCodes(
  {
    '0': 'success',
    '400000': 'bad parameters',
    '400001': 'bad URL',
    '400002': 'bad method',
    '400003': 'bad api_key',
    '400004': 'stale timestamp or repeated nonce',
    '400005': 'signature check failed',
    '400101': 'too frequent',
    '500000': 'system error, the caller may retry',
  },
  codes,
);
