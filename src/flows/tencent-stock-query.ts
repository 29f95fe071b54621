/**
 * Flow T3 — Tencent 查询批次信息 (`/tencent/sp/stock/query`), answered by couponbridge itself:
 * accept (verify, replay, validate) → stock view (catalogue + synced Tencent presentation/status)
 * → the ledger's counts → the mapping's `answer.data`. No upstream call, no idempotency record
 * (a query changes nothing).
 * Decisions where seed 002 is silent (also in docs/flows.md, "Tencent flows"):
 *  - unknown stock = not in the catalogue, or not naming the caller in its `partners` → 400201,
 *    even when a /stock/rsync recorded it (a stock without its P云 side cannot be claimed, so
 *    couponbridge does not advertise it);
 *  - `max_coupons` stays the total; the answer adds `issued_coupons` (every coupon of the stock,
 *    pending reservations included: what the quota counts), `remaining_coupons`
 *    (max_coupons − issued, never below 0) and `used_coupons` (used + refunded). The answer schema's
 *    `data` is open, so Tencent's required fields are untouched;
 *  - `fixed_normal_coupon` for coupon_type 1/2 (满减, 减至), `discount_coupon` for 3 (折扣), never
 *    both: the flow exposes the stock view as `ctx.fixed_stock` or `ctx.discount_stock` by type, the
 *    mapping reads the amounts from it; a catalogue entry without a threshold has none (0).
 */
import { CbError } from '../errors';
import { inboundFlow } from '../pipeline/translate';
import type { TencentStockQueryRequest } from '../generated';
import { mapContext, mapping } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { stockView, type StockView } from '../ledger/stocks';
import type { StockCounts } from '../store/types';

/** What the mapping reads as ctx.<name> besides its own vars. */
function queryContext(view: StockView, counts: StockCounts): Record<string, unknown> {
  const withThreshold = { ...view, transaction_minimum_fen: view.transaction_minimum_fen ?? 0 };
  return {
    fixed_stock: view.coupon_type === 3 ? undefined : withThreshold,
    discount_stock: view.coupon_type === 3 ? withThreshold : undefined,
    issued_coupons: counts.issued,
    remaining_coupons: Math.max(0, view.max_coupons - counts.issued),
    used_coupons: counts.byState.used + counts.byState.refunded,
  };
}

export const stockQuery = inboundFlow<TencentStockQueryRequest>(async (x, f) => {
  const stockId = String(f.stock_id);
  x.businessKeys.push(stockId);
  const view = await stockView(x.rt.store, x.rt.table.stocks, stockId, x.partner!.id);
  if (!view) throw new CbError('CB_STOCK_NOT_FOUND', `stock ${stockId} is not in the stock catalogue`);
  const counts = await x.rt.store.stockCounts(stockId);
  x.map = mapContext(x);
  x.map.stock = view as unknown as Record<string, unknown>;
  Object.assign(x.map.ctx, queryContext(view, counts));
  mapping(() => x.route.mapping.vars(x.map!));
  x.answer = successAnswer(x);
  x.outcome = 'success';
  x.retryable = false;
  x.notes.push(
    `answered from the ${view.synced ? 'catalogue and the synced stock' : 'catalogue'}; ${counts.issued} issued`,
  );
});
