/**
 * What the benchmark sends and with which (obviously fake) credentials: the signed Tencent
 * messages for T1 and T2, the P云 form the upstream-only scenarios send, and the answers that
 * count as success. Shared by the load generator and the couponbridge child.
 */
import { randomUUID } from 'node:crypto';
import { getDialect } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';

export const T1_PATH = '/tencent/coupon/status/rsync';
export const T1_ROUTE = 'tencent.coupon-status-rsync';
export const T2_PATH = '/tencent/sp/coupon/receive';
export const T2_ROUTE = 'tencent.sp-coupon-receive';
export const GRANT_SYNC_PATH = '/gate/1.0/parking/internal/mcoupon/grant/sync';
/** The shipped demo stock, and the bench's copy of it with unlimited quotas. */
export const DEMO_STOCK_ID = 'cb-demo-001';
export const STOCK_ID = 'cb-bench-001';

export const benchSecrets = {
  BENCH_PYUN_SECRET: 'bench-pyun-secret-not-real',
  BENCH_SP_SECRET: 'bench-sp-secret-not-real',
};
export const PYUN_APP_ID = 'op-bench';
export const SP_PARTNER = 'sp-bench';
export const SP_API_KEY = 'BENCHSPKEY01';

const spCreds: Credentials = {
  keyId: SP_API_KEY,
  secret: benchSecrets.BENCH_SP_SECRET,
  scheme: 'tencent-md5',
};

export type Message = 't1' | 't2';

/** Business fields of one message; `i` makes every coupon / request / user distinct. */
function fieldsOf(kind: Message, i: number): Record<string, unknown> {
  if (kind === 't1') {
    return {
      app_channel_id: 0,
      user_code: `u-${i}`,
      stock_id: STOCK_ID,
      coupon_id: `B${i}`,
      coupon_status: 2,
      usage_time: '2024-03-01T10:15:30.120+08:00',
      event_time: '2024-03-01T10:15:31.000+08:00',
    };
  }
  return {
    app_channel_id: 0,
    user_code: `u-${i}`,
    stock_id: STOCK_ID,
    request_id: `r${i}-${process.pid}`,
    extra: JSON.stringify({ plate: '粤B12345' }),
  };
}

/** A Tencent message signed with the bench SP's credentials: fresh seq_id, nonce and timestamp. */
export function signedMessage(kind: Message, i: number): string {
  const path = kind === 't1' ? T1_PATH : T2_PATH;
  const fields = { seq_id: randomUUID(), ...fieldsOf(kind, i) };
  return getDialect('tencent').buildRequest({ method: 'POST', path, encoding: 'json' }, fields, spCreds)
    .body!;
}

/** The outbox notification the drain scenario delivers: a coupon's status told to Tencent. */
export const NOTIFY_MAPPING = 'notify.tencent.coupon-status-rsync.v1';
export const NOTIFY_KIND = { kind: 'tencent.coupon_status_rsync', v: 1 };

export function notifyPayload(i: number): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: `u-${i}`,
    stock_id: STOCK_ID,
    coupon_id: `N${i}`,
    coupon_status: 2,
    usage_time: '2024-03-01T10:15:30.120+08:00',
  };
}

/** The P云 grant/sync form couponbridge sends for T1, so upstream-only scenarios carry the same bytes. */
export const GRANT_SYNC_FORM =
  'app_id=op-bench&timestamp=1709258131000&sign_type=MD5&park_uuid=49f0cc52-e8c7-41e3-b54d-af666b8cc11a' +
  '&grant_serial=B1&local_sync=0&status=1&status_time=2024-03-01T02%3A15%3A31.000Z&apply_status=1' +
  '&coupon_value=500&apply_value=500&apply_time=2024-03-01T02%3A15%3A30.120Z' +
  '&sign=0123456789ABCDEF0123456789ABCDEF';

export const FORM_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';
export const JSON_TYPE = 'application/json; charset=UTF-8';

/** A P云 success envelope (code "1001"). */
export const isPyunSuccess = (body: string): boolean => body.includes('"code":"1001"');
/** A Tencent success envelope (code 0). */
export const isTencentSuccess = (body: string): boolean => /^\{"code":0[,}]/.test(body);
