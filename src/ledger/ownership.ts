/**
 * Ownership: a signature proves who calls, ownership decides what it may touch. Every coupon and
 * order has an owning partner (the `partner` it was issued to, synced from or consumed by); every
 * stock names the partners allowed on it (`partners` in mappings/stocks.yaml). A partner looking
 * up anything it does not own gets exactly the answer it gets for something that does not exist,
 * and nothing is sent upstream. The journal notes the refusal for the operator (docs/security.md,
 * "Ownership model").
 */
import type { StockEntry } from '../mapping/types';
import type { CouponQuery, CouponRecord, Store } from '../store/types';

/** The catalogue entry of a stock the partner is allowed on; undefined for any other stock. */
export function stockOf(
  catalogue: Record<string, StockEntry>,
  stockId: string | undefined,
  partnerId: string,
): StockEntry | undefined {
  if (stockId === undefined) return undefined;
  const entry = Object.hasOwn(catalogue, stockId) ? catalogue[stockId] : undefined;
  return entry?.partners.includes(partnerId) ? entry : undefined;
}

const views = new WeakMap<StockEntry, Readonly<Record<string, unknown>>>();

/**
 * What a mapping sees of a catalogue stock: its entry with its id. One frozen object per entry
 * (the catalogue does not change under a loaded table), so no exchange copies the entry and the
 * journal can keep the view's redacted text (journal.ts).
 */
export function stockView(stockId: string, entry: StockEntry): Readonly<Record<string, unknown>> {
  let view = views.get(entry);
  if (view?.stock_id !== stockId) {
    view = Object.freeze({ stock_id: stockId, ...entry });
    views.set(entry, view);
  }
  return view;
}

/** A lookup's result: the partner's own coupon, or nothing — with whether another partner holds it. */
export interface Owned {
  coupon?: CouponRecord;
  /** The reference names a coupon another partner owns (for the journal and for refusing to register it). */
  foreign: boolean;
}

/** The first coupon matching any of the queries, kept only when `partnerId` owns it. */
export async function ownedCoupon(
  store: Store,
  partnerId: string,
  ...queries: CouponQuery[]
): Promise<Owned> {
  for (const q of queries) {
    const c = await store.getCoupon(q);
    if (c) return c.partner === partnerId ? { coupon: c, foreign: false } : { foreign: true };
  }
  return { foreign: false };
}

/** A Tencent reference: the coupon_id, else a P云 grant serial. */
export function byTencentRef(ref: string): CouponQuery[] {
  return [{ couponId: ref }, { grantSerial: ref }];
}

/** A Dianping code: the couponCode, else a P云 grant serial. */
export function byDianpingCode(code: string): CouponQuery[] {
  return [{ couponCode: code }, { grantSerial: code }];
}
