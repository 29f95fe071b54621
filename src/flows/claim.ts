/**
 * Flow T2 — Tencent 领券 → P云 mcoupon/event, with the ledger making it trustworthy:
 *   accept (verify, replay, validate) → idempotency on request_id → stock view (known, allowed to
 *   the caller, running, inside its validity window) → map (a missing plate fails here, before anything is reserved)
 *   → reserve a coupon against max_coupons / max_coupons_per_user (atomic, no oversell) → call
 *   P云 → on success activate the reservation with P云's grant serial, else release it.
 * A repeat of a request_id answers the first answer byte for byte without calling P云; a
 * concurrent repeat waits for it. A retryable failure (P云 down, 1405, 1500…) leaves no record, so
 * Tencent's retry runs again — and if P云 had granted after all, it answers 1403 with the original
 * grant serial, which completes the claim. P云's event_id is derived from (partner, request_id)
 * (eventIdFor), so two SPs using the same request_id never collide at P云; a reservation whose
 * activation fails is released, so the quota never leaks.
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { failed, forward, inboundFlow } from '../pipeline/translate';
import type { TencentCouponReceiveRequest } from '../generated';
import { buildFields, mapContext, selectBranch } from '../pipeline/stages/map';
import { successAnswer } from '../pipeline/stages/answer';
import { idempotencyFor, type RunOutcome, type RunResult } from '../ledger/idempotency';
import type { IdemKey } from '../store/types';
import { once } from '../pipeline/idempotency';
import { ledgerContext, metaOf } from '../ledger/coupons';
import { stockView, type StockView } from '../ledger/stocks';
import { couponIdFor, eventIdFor } from '../mapping/converters';
import { parseZonedIso } from '../time';

const RUNNING = 3;

function requireRunningStock(view: StockView | undefined, stockId: string, now: Date): StockView {
  if (!view) throw new CbError('CB_STOCK_NOT_FOUND', `stock ${stockId} is not in the catalogue`);
  if (view.stock_status !== RUNNING) {
    throw new CbError(
      'CB_STOCK_NOT_RUNNING',
      `stock ${stockId} has status ${view.stock_status} (3 = running)`,
    );
  }
  const t = now.getTime();
  if (t < parseZonedIso(view.available_begin_time) || t > parseZonedIso(view.available_end_time)) {
    throw new CbError(
      'CB_STOCK_NOT_RUNNING',
      `stock ${stockId} is outside its validity window ${view.available_begin_time} – ${view.available_end_time}`,
    );
  }
  return view;
}

function outcomeOf(x: Exchange): RunOutcome {
  if (x.outcome === 'success') return 'success';
  return x.retryable ? 'retryable' : 'terminal';
}

/** Reserves a coupon against the stock's quotas (atomic: no oversell under concurrency). */
async function reserve(x: Exchange, id: string, stock: StockView): Promise<void> {
  const f = x.msg!.fields;
  const stockId = stock.stock_id;
  const reserved = await x.rt.store.reserveCoupon(
    {
      id,
      stockId,
      partner: x.partner!.id,
      userCode: String(f.user_code),
      eventId: String(x.map!.ctx.event_id),
      parkUuid: stock.park_uuid,
      couponType: stock.coupon_type,
      faceValue: stock.face_value_fen,
      validFrom: stock.available_begin_time,
      validUntil: stock.available_end_time,
      attrs: { plate: x.map!.ctx.plate },
    },
    { maxCoupons: stock.max_coupons, maxPerUser: stock.max_coupons_per_user },
    metaOf(x, 'claim reserved'),
  );
  if (reserved === 'quota_exhausted') {
    throw new CbError('CB_QUOTA_EXHAUSTED', `stock ${stockId} has issued all ${stock.max_coupons} coupons`);
  }
  if (reserved === 'user_quota_exhausted') {
    throw new CbError(
      'CB_USER_QUOTA_EXHAUSTED',
      `user ${String(f.user_code)} already holds ${stock.max_coupons_per_user} coupon(s) of stock ${stockId}`,
    );
  }
}

/**
 * One claim attempt, run under the request_id's idempotency record `k`. A grant finishes the record
 * in the activation's transaction: the ledger change and the answer it gave are one commit.
 */
async function grant(x: Exchange, requestId: string, k: IdemKey): Promise<RunResult> {
  const store = x.rt.store;
  const f = x.msg!.fields;
  const stockId = String(f.stock_id);
  const id = `claim:${x.partner!.id}:${requestId}`;
  let finished = false;
  try {
    const view = await stockView(store, x.rt.table.stocks, stockId, x.partner!.id);
    const stock = requireRunningStock(view, stockId, x.now);
    const existing = await store.getCoupon({ id });
    x.map = mapContext(x, existing ? ledgerContext(existing) : undefined);
    x.map.stock = stock as unknown as Record<string, unknown>;
    x.map.ctx.event_id = eventIdFor(x.partner!.id, requestId);
    selectBranch(x);
    if (existing && existing.state !== 'pending') {
      // Granted before, but the answer was never recorded (a crash between P云 and the record).
      x.notes.push(`coupon ${existing.couponId} was already granted for ${requestId}`);
      x.answer = successAnswer(x);
      x.outcome = 'success';
      return { answer: x.answer, outcome: 'success' };
    }
    const fields = buildFields(x);
    if (existing) {
      // A reservation left by an attempt that crashed before P云 answered: this request owns the
      // request_id now, so it reuses it; P云 answers 1403 with the grant if that attempt got through.
      x.notes.push(`reusing the pending reservation of an interrupted attempt for ${requestId}`);
    } else {
      await reserve(x, id, stock);
    }
    try {
      await forward(x, fields);
    } catch (e) {
      await store.releaseCoupon(id, metaOf(x, 'released: the call failed'));
      throw e;
    }
    const upstream =
      x.upstream?.kind === 'answer'
        ? (x.upstream.body as { payload?: { grant_serial?: unknown } })
        : undefined;
    const grantSerial = upstream?.payload?.grant_serial;
    if (x.outcome === 'success' && typeof grantSerial === 'string' && grantSerial !== '') {
      const couponId = couponIdFor(grantSerial);
      try {
        const finish = { k, answer: x.answer!, outcome: 'success' as const, now: x.now };
        await store.activateCoupon(id, { couponId, grantSerial }, metaOf(x, 'granted by P云'), finish);
        finished = true;
      } catch (e) {
        // e.g. P云 answered a grant serial the ledger already holds: the quota must not leak.
        await store.releaseCoupon(id, metaOf(x, `released: activation failed: ${(e as Error).message}`));
        throw e;
      }
      x.businessKeys.push(couponId, grantSerial);
      x.notes.push(`coupon ${couponId} granted (P云 grant_serial ${grantSerial})`);
    } else {
      if (x.outcome === 'success')
        failed(x, new CbError('CB_UPSTREAM_BAD_ANSWER', 'P云 answered success without payload.grant_serial'));
      await store.releaseCoupon(id, metaOf(x, `released: ${x.outcome}`));
    }
  } catch (e) {
    failed(x, e);
  }
  return { answer: x.answer!, outcome: outcomeOf(x), finished };
}

export const claim = inboundFlow<TencentCouponReceiveRequest>(async (x, f) => {
  x.businessKeys.push(f.request_id);
  const timeoutMs = x.rt.upstreams.get(x.route.target!.upstream)?.timeoutMs ?? 5000;
  await once(x, (k) => grant(x, f.request_id, k), { options: idempotencyFor(timeoutMs) });
});
