/**
 * Catalog codes in Dianping terms (7-digit strings). The partner protocol's own codes:
 * 3001001 订单号重复, 3001002 订单号不存在 (consume/extend), 3001003 优惠券券号不一致,
 * 3002001 订单号不存在 (refund), 3002002 请先完善订单信息. Every other failure gets an adapter
 * code 30090xx, one per catalog code so a POS log pinpoints the cause; docs/errors.md lists them.
 */
import type { CbCode } from '../../errors';
import { knownAnswerCodes } from '../shared/codes';

export const codes: Record<CbCode, string> = {
  CB_BODY_MALFORMED: '3009001',
  CB_BODY_TOO_LARGE: '3009002',
  CB_UNSUPPORTED_MEDIA_TYPE: '3009003',
  CB_ROUTE_NOT_FOUND: '3009004',
  CB_METHOD_NOT_ALLOWED: '3009005',
  CB_UNKNOWN_PARTNER: '3009006',
  CB_SIGN_MISSING: '3009007',
  CB_SIGN_MISMATCH: '3009008',
  CB_STALE_TIMESTAMP: '3009009',
  CB_REPLAYED_NONCE: '3009010',
  CB_SCHEMA_INVALID: '3009011',
  CB_MAPPING_FAILED: '3009012',
  CB_UPSTREAM_TIMEOUT: '3009013',
  CB_UPSTREAM_UNREACHABLE: '3009014',
  CB_UPSTREAM_BAD_ANSWER: '3009015',
  CB_UPSTREAM_REJECTED: '3009016',
  CB_UPSTREAM_BUSY: '3009027',
  CB_IDEMPOTENCY_CONFLICT: '3009017',
  CB_IN_PROGRESS: '3009018',
  CB_STOCK_NOT_FOUND: '3009019',
  CB_STOCK_NOT_RUNNING: '3009020',
  CB_QUOTA_EXHAUSTED: '3009021',
  CB_USER_QUOTA_EXHAUSTED: '3009022',
  CB_COUPON_NOT_FOUND: '3009023',
  CB_ILLEGAL_TRANSITION: '3009024',
  CB_ORDER_DUPLICATE: '3001001',
  CB_ORDER_NOT_FOUND: '3001002',
  CB_COUPON_MISMATCH: '3001003',
  CB_ORDER_INCOMPLETE: '3002002',
  CB_REFUND_ORDER_NOT_FOUND: '3002001',
  CB_RATE_LIMITED: '3009028',
  CB_SHUTTING_DOWN: '3009029',
  CB_STORE_UNAVAILABLE: '3009025',
  CB_INTERNAL: '3009026',
};

/** The partner protocol's codes (seed 004), 'success' for a success answer, then the adapter codes. */
export const answerCodes = knownAnswerCodes(
  {
    success: 'success',
    '3001001': '订单号重复',
    '3001002': '订单号不存在,请确认订单号是否正确',
    '3001003': '优惠券券号不一致，请确认',
    '3002001': '订单号不存在,请确认订单号是否正确 (refund)',
    '3002002': '请先完善订单信息,再尝试操作',
  },
  codes,
);
