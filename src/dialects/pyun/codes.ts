/**
 * Catalog codes in P云 terms (strings). P云's own table: 1000 in progress, 1002 not found,
 * 1003 limit (优惠限制), 1400 parameter error, 1401 config/signature error, 1402 upstream timeout,
 * 1403 duplicate, 1405 downstream failure, 1500 internal error.
 * Choices: authentication failures of any kind (unknown app, missing or wrong sign, stale
 * timestamp, replay) are 1401; a stock couponbridge does not know is P云's "third-party coupon
 * configuration missing" (1401); business refusals on a stock or coupon state are limits (1003);
 * unknown coupons and orders are 1002; an unreachable or failing downstream is 1405.
 */
import type { CbCode } from '../../errors';
import { knownAnswerCodes } from '../shared/codes';

export const codes: Record<CbCode, string> = {
  CB_BODY_MALFORMED: '1400',
  CB_BODY_TOO_LARGE: '1400',
  CB_UNSUPPORTED_MEDIA_TYPE: '1400',
  CB_ROUTE_NOT_FOUND: '1400',
  CB_METHOD_NOT_ALLOWED: '1400',
  CB_UNKNOWN_PARTNER: '1401',
  CB_SIGN_MISSING: '1401',
  CB_SIGN_MISMATCH: '1401',
  CB_STALE_TIMESTAMP: '1401',
  CB_REPLAYED_NONCE: '1401',
  CB_SCHEMA_INVALID: '1400',
  CB_MAPPING_FAILED: '1400',
  CB_UPSTREAM_TIMEOUT: '1402',
  CB_UPSTREAM_UNREACHABLE: '1405',
  CB_UPSTREAM_BUSY: '1405',
  CB_UPSTREAM_BAD_ANSWER: '1405',
  CB_UPSTREAM_REJECTED: '1405',
  CB_IDEMPOTENCY_CONFLICT: '1403',
  CB_IN_PROGRESS: '1000',
  CB_STOCK_NOT_FOUND: '1401',
  CB_STOCK_NOT_RUNNING: '1003',
  CB_QUOTA_EXHAUSTED: '1003',
  CB_USER_QUOTA_EXHAUSTED: '1003',
  CB_COUPON_NOT_FOUND: '1002',
  CB_ILLEGAL_TRANSITION: '1003',
  CB_ORDER_DUPLICATE: '1403',
  CB_ORDER_NOT_FOUND: '1002',
  CB_COUPON_MISMATCH: '1400',
  CB_ORDER_INCOMPLETE: '1400',
  CB_REFUND_ORDER_NOT_FOUND: '1002',
  CB_RATE_LIMITED: '1429',
  CB_SHUTTING_DOWN: '1500',
  CB_STORE_UNAVAILABLE: '1500',
  CB_INTERNAL: '1500',
};

/** Codes P云 answers with (protocols.md, seeds 000/001/003), framework codes included. */
export const answerCodes = knownAnswerCodes(
  {
    '1000': 'accepted, processing',
    '1001': 'success',
    '1002': 'not found (车辆未入场)',
    '1003': 'limit (优惠限制)',
    '1400': 'parameter error',
    '1401': 'configuration missing or signature error',
    '1402': 'upstream timeout',
    '1403': 'duplicate (重复派发)',
    '1405': 'downstream failure (车场下发失败)',
    '1500': 'internal error',
    '400': 'parameter error (framework)',
    '401': 'signature or app error (framework)',
    '403': 'forbidden (framework)',
    '500': 'server error (framework)',
    '503': 'service unavailable (framework)',
  },
  codes,
);
