/**
 * Flow T5 — Tencent stock sync from a legacy SP (`/tencent/stock/rsync`,
 * `/tencent/stock/status/rsync`): accept → the caller must be allowed on the stock → when a Tencent upstream is configured, map the forward
 * as an outbox notification (the mapping's `action: enqueue` branch: tencent.stock_sync@1 or
 * tencent.stock_status_sync@1, destination `tencent`, dedup key = the SP's seq_id) → record the
 * stock's Tencent side in the ledger and store the notification in ONE transaction (the stock view
 * layers it over mappings/stocks.yaml; a status other than running stops claims at once, since the
 * claim flow reads the stock view) → answer success → wake the outbox worker, which re-signs the
 * sync with couponbridge's Tencent credentials and delivers it with retries, then a dead letter.
 * Decisions where the seed is silent (also in docs/flows.md, "Tencent flows"):
 *  - /stock/rsync records its whole business part (every field but the common parameters) as the
 *    presentation and its stock_status as the status; /stock/status/rsync records the status only
 *    and keeps the stored presentation;
 *  - Tencent's answer no longer reaches the SP: success means recorded and, with an upstream,
 *    durably queued. The SP's retry records the same values again and enqueues the identical item
 *    (a no-op); the same seq_id with other fields is refused with 400102 and nothing is recorded
 *    (Tencent would take it for a retry of the first);
 *  - no Tencent upstream configured → record only, answer success (outcome `recorded`);
 *  - ownership: only a partner the catalogue names on the stock (`partners`) may sync it; a stock
 *    not in the catalogue, or not naming the caller, is 400201 (as unknown), nothing is recorded or
 *    forwarded. What a sync records is presentation only: the stock view keeps the operator's face
 *    value, quotas, coupon type and validity (ledger/stocks.ts).
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { TencentStockRsyncRequest, TencentStockStatusRsyncRequest } from '../generated';
import { mapContext, selectBranch } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { checkNotifications, notificationsStored } from '../outbox/enqueue';
import type { OutboxItemInput } from '../store/types';
import { branchNotification, isDedupConflict } from './notification';
import { transportFields } from './shared';
import { stockOf } from '../ledger/ownership';

/** The inbound schema whose messages carry a whole stock presentation. */
const PRESENTATION_SCHEMA = 'tencent/stock-rsync.request';
/** The upstream (and outbox destination) the syncs are forwarded to. */
const TENCENT = 'tencent';

function businessPart(x: Exchange): Record<string, unknown> {
  const common = transportFields(x.route.dialect);
  return Object.fromEntries(Object.entries(x.msg!.fields).filter(([k]) => !common.includes(k)));
}

/** The forward to Tencent as a notification, or none when no Tencent upstream is configured. */
function forwards(x: Exchange): OutboxItemInput[] {
  if (!x.rt.upstreams.has(TENCENT)) {
    x.notes.push('no Tencent upstream configured: not forwarded');
    return [];
  }
  selectBranch(x);
  const items = [branchNotification(x, TENCENT)];
  checkNotifications(x.rt, items);
  return items;
}

async function record(x: Exchange, stockId: string, items: OutboxItemInput[]): Promise<void> {
  const f = x.msg!.fields;
  const presentation = x.route.doc.inbound.schema === PRESENTATION_SCHEMA ? businessPart(x) : undefined;
  try {
    await x.rt.store.upsertStockSync(
      { stockId, status: Number(f.stock_status), presentation, updatedAt: x.now },
      items,
    );
  } catch (e) {
    if (!isDedupConflict(e)) throw e;
    throw new CbError(
      'CB_IDEMPOTENCY_CONFLICT',
      `seq_id ${String(f.seq_id)} was already forwarded with other fields; send a new seq_id`,
    );
  }
  x.notes.push(
    `stock ${stockId}: recorded status ${String(f.stock_status)}${presentation ? ' and presentation' : ''}`,
  );
  for (const item of items)
    x.notes.push(`outbox: ${item.kind}@${item.v} to ${item.destination} (dedup ${item.dedupKey})`);
}

/** /stock/rsync and /stock/status/rsync: one rule for both. */
type StockSyncRequest = TencentStockRsyncRequest | TencentStockStatusRsyncRequest;

export const stockSync = inboundFlow<StockSyncRequest>(async (x, f) => {
  const stockId = String(f.stock_id);
  x.businessKeys.push(stockId, String(f.seq_id));
  if (!stockOf(x.rt.table.stocks, stockId, x.partner!.id)) {
    throw new CbError('CB_STOCK_NOT_FOUND', `stock ${stockId} is not in the stock catalogue`);
  }
  x.map = mapContext(x);
  const items = forwards(x);
  await record(x, stockId, items);
  x.answer = successAnswer(x);
  x.outcome = items.length > 0 ? 'success' : 'recorded';
  x.retryable = false;
  if (items.length > 0) notificationsStored();
});
