/**
 * Traffic for the fault tests: one exchange of each dialect (Tencent T1 and T2, a P云 payment
 * push, a Dianping consume), timed, and the "system error, retry" code each dialect answers while
 * the store cannot serve (docs/errors.md, CB_STORE_UNAVAILABLE).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { signedPyunPush } from '../../src/sandbox';
import { creds, pushedCoupon, type Stack } from './stack';
import { dianping, uniq } from '../e2e/dianping-client';

export const form = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };

export interface Sent {
  name: string;
  status: number;
  code: unknown;
  ms: number;
  message: unknown;
}

/** One exchange of each dialect, timed. */
export async function traffic(s: Stack, grantSerial: string): Promise<Sent[]> {
  const timed = async (name: string, send: () => Promise<{ status: number; json: any }>) => {
    const t0 = performance.now();
    const r = await send();
    return {
      name,
      status: r.status,
      code: r.json?.code ?? r.json?.status,
      ms: Math.round(performance.now() - t0),
      message: r.json?.message as unknown,
    };
  };
  return Promise.all([
    timed('tencent T1 status sync', () =>
      s.tencent('/tencent/coupon/status/rsync', {
        app_channel_id: 0,
        user_code: 'u-fault',
        stock_id: 'cb-demo-001',
        coupon_id: `C${randomUUID().slice(0, 8)}`,
        coupon_status: 2,
      }),
    ),
    timed('tencent T2 claim', () =>
      s.tencent('/tencent/sp/coupon/receive', {
        app_channel_id: 0,
        user_code: `u-${randomUUID().slice(0, 8)}`,
        stock_id: 'cb-demo-001',
        request_id: randomUUID().replace(/-/g, ''),
        extra: '{"plate":"川A660P1"}',
      }),
    ),
    timed('pyun P1 payment push', () => s.post('/pyun/notify/payment', push(grantSerial), form)),
    timed('dianping D1 consume', () =>
      dianping(s, '/dianping/api/coupon/consumeCoupon', {
        couponCode: uniq('DP'),
        shopName: '点评停车场',
        consumeTime: Date.now(),
        orderId: uniq('ORD'),
        orderAmount: '30.00',
        payAmount: '25.00',
        freightFee: '0',
        attributes: '{}',
      }),
    ),
  ]);
}

export function push(grantSerial: string): string {
  return signedPyunPush(
    {
      park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
      park_name: 'P云支付体验-停车场',
      parking_serial: '591668151763415041',
      pay_serial: `PS${randomUUID().slice(0, 12)}`,
      pay_value: '100',
      pay_time: String(Date.now()),
      plate: '川A660P1',
      channel: '200102',
      identity: '5aeV05nlt6/ig4LplITisYg=',
      discounts: '[]',
      mcoupons: JSON.stringify([pushedCoupon(grantSerial, 'MC1')]),
    },
    creds.pyunUpstream.app_id,
    creds.pyunUpstream.app_secret,
  );
}

/** The system-error-retry code of each dialect (docs/errors.md, CB_STORE_UNAVAILABLE). */
export const retryCode: Record<string, unknown> = {
  'tencent T1 status sync': 500000,
  'tencent T2 claim': 500000,
  'pyun P1 payment push': '1500',
  'dianping D1 consume': '3009025',
};

/** Claims sent back to back by `workers` senders until stopped: the traffic the cut lands in. */
export function startLoad(s: Stack, workers = 4) {
  const answers: Array<{ status: number; code: unknown; couponId?: string; ms: number }> = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const t0 = performance.now();
      const r = await s.tencent('/tencent/sp/coupon/receive', {
        app_channel_id: 0,
        user_code: `u-${randomUUID().slice(0, 8)}`,
        stock_id: 'cb-demo-001',
        request_id: randomUUID().replace(/-/g, ''),
        extra: '{"plate":"川A660P1"}',
      });
      answers.push({
        status: r.status,
        code: r.json?.code,
        couponId: r.json?.data?.coupon_id,
        ms: Math.round(performance.now() - t0),
      });
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

export async function readyz(s: Stack): Promise<{ status: number; json: any }> {
  const r = await request(`${s.url}/readyz`);
  return { status: r.statusCode, json: await r.body.json() };
}
