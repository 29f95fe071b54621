/**
 * The stock view: the catalogue entry (mappings/stocks.yaml: the P云 side and a default Tencent
 * presentation) with the Tencent side synced at run time (/stock/rsync, /stock/status/rsync)
 * layered over it. A synced status other than running stops claims at once.
 */
import type { StockEntry } from '../mapping/types';
import type { Store } from '../store/types';

export type StockView = StockEntry & { stock_id: string; synced: boolean };

const presentationKeys: Record<string, keyof StockEntry> = {
  app_id: 'app_id',
  app_channel_id: 'app_channel_id',
  stock_name: 'stock_name',
  instructions: 'instructions',
  coupon_name: 'coupon_name',
  coupon_desc: 'coupon_desc',
  coupon_type: 'coupon_type',
  max_coupons: 'max_coupons',
  max_coupons_per_user: 'max_coupons_per_user',
  available_begin_time: 'available_begin_time',
  available_end_time: 'available_end_time',
  create_time: 'create_time',
  stock_status: 'stock_status',
};

export async function stockView(
  store: Store,
  catalogue: Record<string, StockEntry>,
  stockId: string,
): Promise<StockView | undefined> {
  const base = catalogue[stockId];
  // A stock synced by Tencent but absent from the catalogue has no P云 side: it cannot be claimed.
  if (!base) return undefined;
  const sync = await store.getStockSync(stockId);
  const view: StockView = { ...base, stock_id: stockId, synced: Boolean(sync) };
  const p = (sync?.presentation ?? {}) as Record<string, unknown>;
  const v = view as unknown as Record<string, unknown>;
  for (const [from, to] of Object.entries(presentationKeys)) if (p[from] !== undefined) v[to] = p[from];
  const fixed = p.fixed_normal_coupon as { coupon_amount?: number; transaction_minimum?: number } | undefined;
  if (fixed?.coupon_amount !== undefined) view.face_value_fen = Number(fixed.coupon_amount);
  if (fixed?.transaction_minimum !== undefined)
    view.transaction_minimum_fen = Number(fixed.transaction_minimum);
  const discount = p.discount_coupon as
    { discount_percent?: number; discount_amount_max?: number } | undefined;
  if (discount?.discount_percent !== undefined) view.discount_percent = Number(discount.discount_percent);
  if (discount?.discount_amount_max !== undefined)
    view.discount_amount_max_fen = Number(discount.discount_amount_max);
  if (sync?.status !== undefined) view.stock_status = sync.status as StockView['stock_status'];
  return view;
}
