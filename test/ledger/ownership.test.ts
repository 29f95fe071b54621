// Ownership decisions on their own (the end-to-end suites test them through the routes): which
// stock a partner may see, and which coupon a reference names for the partner asking.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { byDianpingCode, byTencentRef, ownedCoupon, stockOf } from '../../src/ledger/ownership';
import type { StockEntry } from '../../src/mapping/types';
import type { CouponQuery, CouponRecord, Store } from '../../src/store/types';

const stock = { partners: ['sp-a', 'sp-b'], park_uuid: 'P1', face_value_fen: 500 } as StockEntry;
const catalogue: Record<string, StockEntry> = { S1: stock };

/** A store holding the given coupons, answering getCoupon on the first field each query names. */
function storeOf(coupons: Array<Partial<CouponRecord>>): { store: Store; asked: CouponQuery[] } {
  const asked: CouponQuery[] = [];
  const store = {
    async getCoupon(q: CouponQuery) {
      asked.push(q);
      return coupons.find(
        (c) =>
          (q.couponId !== undefined && c.couponId === q.couponId) ||
          (q.grantSerial !== undefined && c.grantSerial === q.grantSerial) ||
          (q.couponCode !== undefined && c.couponCode === q.couponCode),
      ) as CouponRecord | undefined;
    },
  } as unknown as Store;
  return { store, asked };
}

describe('stockOf', () => {
  test('gives the entry to a partner listed on the stock, nothing to anyone else', () => {
    assert.equal(stockOf(catalogue, 'S1', 'sp-a'), stock);
    assert.equal(stockOf(catalogue, 'S1', 'sp-b'), stock);
    assert.equal(stockOf(catalogue, 'S1', 'sp-c'), undefined);
    assert.equal(stockOf(catalogue, 'S2', 'sp-a'), undefined);
    assert.equal(stockOf(catalogue, undefined, 'sp-a'), undefined);
  });

  test('never reads an inherited property as a stock', () => {
    const withPartners = Object.create({ inherited: stock }) as Record<string, StockEntry>;
    assert.equal(stockOf(withPartners, 'inherited', 'sp-a'), undefined);
    assert.equal(stockOf(catalogue, 'constructor', 'sp-a'), undefined);
  });
});

describe('ownedCoupon', () => {
  const mine = { id: 'tencent:C1', couponId: 'C1', grantSerial: 'G1', partner: 'sp-a' };
  const theirs = { id: 'tencent:C2', couponId: 'C2', grantSerial: 'G2', partner: 'sp-b' };

  test("returns the partner's own coupon found by its first query", async () => {
    const { store, asked } = storeOf([mine, theirs]);
    assert.deepEqual(await ownedCoupon(store, 'sp-a', ...byTencentRef('C1')), {
      coupon: mine,
      foreign: false,
    });
    assert.deepEqual(asked, [{ couponId: 'C1' }]);
  });

  test('tries the next query when the first finds nothing', async () => {
    const { store, asked } = storeOf([mine]);
    assert.deepEqual(await ownedCoupon(store, 'sp-a', ...byTencentRef('G1')), {
      coupon: mine,
      foreign: false,
    });
    assert.deepEqual(asked, [{ couponId: 'G1' }, { grantSerial: 'G1' }]);
  });

  test("answers another partner's coupon as foreign, without the coupon, and looks no further", async () => {
    const { store, asked } = storeOf([mine, { ...theirs, grantSerial: 'C2' }]);
    assert.deepEqual(await ownedCoupon(store, 'sp-a', ...byTencentRef('C2')), { foreign: true });
    assert.deepEqual(asked, [{ couponId: 'C2' }]);
  });

  test('answers an unknown reference as neither owned nor foreign', async () => {
    const { store } = storeOf([mine]);
    assert.deepEqual(await ownedCoupon(store, 'sp-a', ...byTencentRef('C9')), { foreign: false });
  });
});

describe('references', () => {
  test('a Tencent reference is a coupon_id first, then a P云 grant serial', () => {
    assert.deepEqual(byTencentRef('R1'), [{ couponId: 'R1' }, { grantSerial: 'R1' }]);
  });
  test('a Dianping code is a coupon code first, then a P云 grant serial', () => {
    assert.deepEqual(byDianpingCode('D1'), [{ couponCode: 'D1' }, { grantSerial: 'D1' }]);
  });
});
