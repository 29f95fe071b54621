/**
 * The one error catalog. Every failure inside couponbridge is a CbError carrying a stable
 * code from this table; each dialect's codes.ts maps every code to that dialect's own code,
 * and the envelope builder turns it into the caller's answer. The HTTP status here is the
 * status of the answer couponbridge sends (the body is always the caller's dialect envelope).
 * docs/errors.md documents every code; a test fails when a code is missing there or in a dialect.
 */
export const errorCatalog = {
  CB_BODY_MALFORMED: { status: 400, message: 'malformed request body', retryable: false },
  CB_BODY_TOO_LARGE: { status: 413, message: 'request body too large', retryable: false },
  CB_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type', retryable: false },
  CB_ROUTE_NOT_FOUND: { status: 404, message: 'no route for this path', retryable: false },
  CB_METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed on this route', retryable: false },
  CB_UNKNOWN_PARTNER: { status: 401, message: 'unknown partner credentials', retryable: false },
  CB_SIGN_MISSING: { status: 401, message: 'signature missing', retryable: false },
  CB_SIGN_MISMATCH: { status: 401, message: 'signature check failed', retryable: false },
  CB_STALE_TIMESTAMP: { status: 401, message: 'timestamp outside the accepted window', retryable: false },
  CB_REPLAYED_NONCE: { status: 401, message: 'nonce already used', retryable: false },
  CB_SCHEMA_INVALID: { status: 400, message: 'message does not match its schema', retryable: false },
  CB_MAPPING_FAILED: { status: 422, message: 'message cannot be translated', retryable: false },
  CB_UPSTREAM_TIMEOUT: { status: 504, message: 'upstream did not answer in time', retryable: true },
  CB_UPSTREAM_UNREACHABLE: { status: 502, message: 'upstream unreachable', retryable: true },
  CB_UPSTREAM_BAD_ANSWER: { status: 502, message: 'upstream answered something unreadable', retryable: true },
  CB_UPSTREAM_REJECTED: { status: 502, message: 'upstream refused the request', retryable: false },
  CB_UPSTREAM_BUSY: {
    status: 503,
    message: 'too many calls to the upstream in flight; retry later',
    retryable: true,
  },
  CB_IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'business key reused with a different payload',
    retryable: false,
  },
  CB_IN_PROGRESS: {
    status: 409,
    message: 'the same request is still being processed; retry later',
    retryable: true,
  },
  CB_STOCK_NOT_FOUND: { status: 404, message: 'unknown stock', retryable: false },
  CB_STOCK_NOT_RUNNING: { status: 409, message: 'stock is not running', retryable: false },
  CB_QUOTA_EXHAUSTED: { status: 409, message: 'stock quota exhausted', retryable: false },
  CB_USER_QUOTA_EXHAUSTED: { status: 409, message: 'per-user quota exhausted', retryable: false },
  CB_COUPON_NOT_FOUND: { status: 404, message: 'unknown coupon', retryable: false },
  CB_ILLEGAL_TRANSITION: {
    status: 409,
    message: 'coupon state does not allow this change',
    retryable: false,
  },
  CB_ORDER_DUPLICATE: { status: 409, message: 'order already consumed', retryable: false },
  CB_ORDER_NOT_FOUND: { status: 404, message: 'unknown order', retryable: false },
  CB_COUPON_MISMATCH: { status: 409, message: 'coupon does not match the order', retryable: false },
  CB_ORDER_INCOMPLETE: { status: 409, message: 'order details missing', retryable: false },
  CB_REFUND_ORDER_NOT_FOUND: { status: 404, message: 'unknown order to refund', retryable: false },
  CB_RATE_LIMITED: { status: 429, message: 'too many requests; slow down', retryable: true },
  CB_SHUTTING_DOWN: { status: 503, message: 'shutting down; retry', retryable: true },
  CB_STORE_UNAVAILABLE: { status: 503, message: 'storage unavailable', retryable: true },
  CB_INTERNAL: { status: 500, message: 'internal error', retryable: true },
} as const satisfies Record<string, { status: number; message: string; retryable: boolean }>;

export type CbCode = keyof typeof errorCatalog;
export const cbCodes = Object.keys(errorCatalog) as CbCode[];

export class CbError extends Error {
  readonly code: CbCode;
  /** Precise, caller-facing detail: which field, which rule. Never contains a secret. */
  readonly detail: string;
  /** Extra caller-facing hint, e.g. the masked string-to-sign on a signature failure. */
  readonly hint?: string;

  constructor(code: CbCode, detail?: string, hint?: string) {
    super(detail ? `${errorCatalog[code].message}: ${detail}` : errorCatalog[code].message);
    this.name = 'CbError';
    this.code = code;
    this.detail = detail ?? errorCatalog[code].message;
    this.hint = hint;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }

  get retryable(): boolean {
    return errorCatalog[this.code].retryable;
  }
}

/**
 * Codes whose detail is couponbridge's own business (a driver message, a constraint name, a
 * database host:port): the caller gets only "system error, retry"; the detail goes to the journal.
 */
const undisclosed: ReadonlySet<CbCode> = new Set<CbCode>(['CB_INTERNAL', 'CB_STORE_UNAVAILABLE']);

/** What the caller may read of an error: its message, or a generic one for internal failures. */
export function callerMessage(e: CbError): string {
  return undisclosed.has(e.code) ? `${errorCatalog[e.code].message}: system error, retry` : e.message;
}

export function isUndisclosed(e: CbError): boolean {
  return undisclosed.has(e.code);
}

export function isCbError(e: unknown): e is CbError {
  return e instanceof CbError;
}

/** Wraps anything thrown into a CbError so every failure can be answered in a dialect. */
export function toCbError(e: unknown): CbError {
  if (e instanceof CbError) return e;
  return new CbError('CB_INTERNAL', e instanceof Error ? e.message : String(e));
}
