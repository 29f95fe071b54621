/**
 * The stock view: the catalogue entry (mappings/stocks.yaml: the P云 side and a default Tencent
 * presentation) with the Tencent side synced at run time (/stock/rsync, /stock/status/rsync)
 * layered over it. A sync changes the presentation (names, texts, app, status) only: the face
 * value, threshold, discount, coupon type, quotas and validity stay as the operator set them. A
 * synced status other than running stops claims at once. A partner not allowed on the stock gets
 * no view at all (ledger/ownership.ts).
 */
import type { StockEntry } from '../mapping/types';
import type { Store } from '../store/types';
import { stockOf } from './ownership';

export type StockView = StockEntry & { stock_id: string; synced: boolean };

const presentationKeys: Record<string, keyof StockEntry> = {
  app_id: 'app_id',
  app_channel_id: 'app_channel_id',
  stock_name: 'stock_name',
  instructions: 'instructions',
  coupon_name: 'coupon_name',
  coupon_desc: 'coupon_desc',
  create_time: 'create_time',
  stock_status: 'stock_status',
};

export async function stockView(
  store: Store,
  catalogue: Record<string, StockEntry>,
  stockId: string,
  partnerId: string,
): Promise<StockView | undefined> {
  // A stock synced by Tencent but absent from the catalogue has no P云 side: it cannot be claimed.
  const base = stockOf(catalogue, stockId, partnerId);
  if (!base) return undefined;
  const sync = await store.getStockSync(stockId);
  const view: StockView = { ...base, stock_id: stockId, synced: Boolean(sync) };
  const p = (sync?.presentation ?? {}) as Record<string, unknown>;
  const v = view as unknown as Record<string, unknown>;
  for (const [from, to] of Object.entries(presentationKeys)) if (p[from] !== undefined) v[to] = p[from];
  if (sync?.status !== undefined) view.stock_status = sync.status as StockView['stock_status'];
  return view;
}
