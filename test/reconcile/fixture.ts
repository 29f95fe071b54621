/**
 * A small March 2025 ledger written through the store's own primitives, with times on both sides
 * of the Asia/Shanghai month boundary. Expected figures in the tests are worked out by hand from it.
 */
import type { Store, TransitionMeta } from '../../src/store/types';

const meta = (iso: string, actor = 'sp-1', exchangeId?: string): TransitionMeta => ({
  actor,
  at: new Date(iso),
  exchangeId,
});

export async function fillMarch(store: Store): Promise<void> {
  const claim = async (id: string, faceValue: number | undefined, at: string) => {
    await store.reserveCoupon(
      { id, stockId: 'stock-a', partner: 'sp-1', userCode: `u-${id}`, faceValue, eventId: `req-${id}` },
      { maxCoupons: 100, maxPerUser: 10 },
      meta(at, 'sp-1', `x-${id}`),
    );
    await store.activateCoupon(
      id,
      { couponId: `C-${id}`, grantSerial: `G-${id}` },
      meta(at, 'sp-1', `x-${id}`),
    );
    await store.idemBegin(
      { partner: 'sp-1', route: 'tencent.sp-coupon-receive', key: `req-${id}` },
      'fp',
      new Date(at),
    );
    await store.idemFinish(
      { partner: 'sp-1', route: 'tencent.sp-coupon-receive', key: `req-${id}` },
      { status: 200, contentType: 'application/json', body: '{"code":0}' },
      'success',
      new Date(at),
    );
  };
  // 2025-03-01 00:30 +08:00: the first half hour of March in Shanghai, still February in UTC
  await claim('a1', 500, '2025-02-28T16:30:00.000Z');
  await claim('a2', 500, '2025-03-10T02:00:00.000Z');
  await claim('a3', undefined, '2025-03-11T02:00:00.000Z');
  // 2025-04-01 00:30 +08:00: April in Shanghai, still March in UTC
  await claim('a4', 500, '2025-03-31T16:30:00.000Z');
  await store.transition(['a1'], 'used', meta('2025-03-05T02:00:00.000Z', 'sp-1', 'x-use-a1'));
  await store.transition(['a2'], 'used', meta('2025-03-12T02:00:00.000Z', 'pyun', 'x-push'));
  await store.transition(['a3'], 'used', meta('2025-03-12T03:00:00.000Z', 'sp-1', 'x-use-a3'));
  await store.transition(['a1'], 'refunded', meta('2025-03-20T02:00:00.000Z', 'couponbridge', 'x-refund'));
}
