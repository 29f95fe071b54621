/**
 * Flow T5 — Tencent stock sync from a legacy SP (`/tencent/stock/rsync`,
 * `/tencent/stock/status/rsync`): accept → record the stock's Tencent side in the ledger (the
 * stock view layers it over mappings/stocks.yaml; a status other than running stops claims at
 * once, since the claim flow reads the stock view) → when a Tencent upstream is configured,
 * forward the same sync re-signed with couponbridge's Tencent credentials and map Tencent's
 * answer back through the code table (0 → success; any other code → a Tencent error keeping the
 * upstream code in the message; transport failure → 500000).
 * Decisions where the seed is silent (also in docs/flows.md, "Tencent flows"):
 *  - /stock/rsync records its whole business part (every field but the common parameters) as the
 *    presentation and its stock_status as the status; /stock/status/rsync records the status only
 *    and keeps the stored presentation;
 *  - the ledger is written before forwarding and stays written when the forward fails: the SP's
 *    sync is what couponbridge itself acts on, and the SP's retry records the same values again
 *    and forwards once more (the forward keeps the SP's seq_id, so Tencent can tell a retry);
 *  - no Tencent upstream configured → record only, answer success (outcome `recorded`);
 *  - a stock not in the catalogue is recorded anyway; it becomes claimable (and queryable) once
 *    the catalogue gives its P云 side.
 */
import type { Answer } from '../dialects/types';
import type { Exchange } from '../pipeline/context';
import { acceptInbound, failed, forward } from '../pipeline/translate';
import { buildFields, mapContext, selectBranch } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { transportFields } from './shared';

/** The inbound schema whose messages carry a whole stock presentation. */
const PRESENTATION_SCHEMA = 'tencent/stock-rsync.request';

function businessPart(x: Exchange): Record<string, unknown> {
  const common = transportFields(x.route.dialect);
  return Object.fromEntries(Object.entries(x.msg!.fields).filter(([k]) => !common.includes(k)));
}

async function record(x: Exchange, stockId: string): Promise<void> {
  const f = x.msg!.fields;
  const presentation = x.route.doc.inbound.schema === PRESENTATION_SCHEMA ? businessPart(x) : undefined;
  await x.rt.store.upsertStockSync({
    stockId,
    status: Number(f.stock_status),
    presentation,
    updatedAt: x.now,
  });
  x.notes.push(
    `stock ${stockId}: recorded status ${String(f.stock_status)}${presentation ? ' and presentation' : ''}`,
  );
  if (!x.rt.table.stocks[stockId]) {
    x.notes.push(
      `stock ${stockId} is not in the catalogue: recorded, not claimable until the catalogue has it`,
    );
  }
}

export async function stockSync(x: Exchange): Promise<Answer> {
  try {
    await acceptInbound(x);
    const stockId = String(x.msg!.fields.stock_id);
    x.businessKeys.push(stockId);
    await record(x, stockId);
    x.map = mapContext(x);
    const target = x.route.target;
    if (!target || !x.rt.upstreams.has(target.upstream)) {
      x.answer = successAnswer(x);
      x.outcome = 'recorded';
      x.retryable = false;
      x.notes.push('no Tencent upstream configured: not forwarded');
      return x.answer;
    }
    selectBranch(x);
    await forward(x, buildFields(x));
  } catch (e) {
    failed(x, e);
  }
  return x.answer!;
}
