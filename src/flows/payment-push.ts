/**
 * Flow P1 — P云 临停支付订单推送 → partner notifications through the durable outbox:
 *   accept (P云's signature over the raw received values; caller = couponbridge's own P云 app)
 *   → for each mcoupons entry, find the coupon's origin in the ledger (grant_serial, else
 *   coupon_code) → skip unknown origins and echoes (a coupon already redeemed through that same
 *   partner) → map a notification per the branch of the origin's dialect → mark the coupons used
 *   → store the pay_serial dedup record and every notification in ONE transaction → 1001.
 * Any failure answers a non-1001 code, so P云 sends the push again; a repeated pay_serial answers
 * 1001 without enqueueing anything twice. The outbox worker is woken to deliver at once.
 */
import { createHash } from 'node:crypto';
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { inboundFlow } from '../pipeline/translate';
import type { PyunPaymentPushRequest } from '../generated';
import { buildFields, mapContext, selectBranch } from '../pipeline/stages/map';
import { compileGetter } from '../mapping/paths';
import { ledgerContext, metaOf } from '../ledger/coupons';
import type { CouponRecord, OutboxItemInput, Store } from '../store/types';
import type { Partner, Runtime } from '../runtime';
import { idempotencyRecord } from '../pipeline/idempotency';
import { partnerDestination } from '../outbox/destination';
import { checkNotifications, notificationsStored } from '../outbox/enqueue';
import { noteAnomaly } from '../reconcile/anomalies';

interface PushedCoupon {
  coupon_code?: string;
  grant_serial?: string;
  coupon_value?: string | number;
  coupon_type?: string | number;
}

interface Origin {
  coupon: CouponRecord;
  partner: Partner;
  pushed: PushedCoupon;
}

function decodeCoupons(value: unknown): PushedCoupon[] {
  if (value === undefined || value === '') return [];
  try {
    const list = JSON.parse(String(value)) as unknown;
    if (Array.isArray(list)) return list as PushedCoupon[];
  } catch {
    // the schema already refused malformed JSON; fall through to the error below
  }
  throw new CbError('CB_SCHEMA_INVALID', 'mcoupons is not a JSON list');
}

/** A UUID derived from the push and the coupon: the same on every re-send, so partners can de-duplicate. */
export function stableSeqId(paySerial: string, couponRef: string): string {
  const h = createHash('sha1').update(`${paySerial}\u0000${couponRef}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function partnerById(rt: Runtime, id: string): Partner | undefined {
  for (const p of rt.partners.values()) if (p.id === id) return p;
  return undefined;
}

async function redeemedThrough(store: Store, coupon: CouponRecord, partnerId: string): Promise<boolean> {
  return (await store.history(coupon.id)).some((t) => t.to === 'used' && t.actor === partnerId);
}

async function findOrigins(x: Exchange, pushed: PushedCoupon[]): Promise<Origin[]> {
  const store = x.rt.store;
  const out: Origin[] = [];
  for (const m of pushed) {
    const ref = m.grant_serial || m.coupon_code || '?';
    x.businessKeys.push(...[m.grant_serial, m.coupon_code].filter((k): k is string => Boolean(k)));
    const coupon =
      (m.grant_serial ? await store.getCoupon({ grantSerial: m.grant_serial }) : undefined) ??
      (m.coupon_code ? await store.getCoupon({ couponCode: m.coupon_code }) : undefined);
    const partner = coupon ? partnerById(x.rt, coupon.partner) : undefined;
    if (!coupon) {
      noteAnomaly(x, {
        kind: 'push_unknown_coupon',
        ref,
        detail: `P云 order ${String(x.msg!.fields.pay_serial)} paid with coupon ${ref}, unknown to the ledger`,
      });
    }
    if (!coupon || !partner) {
      x.notes.push(`coupon ${ref}: no known origin; nobody to notify`);
      continue;
    }
    if (await redeemedThrough(store, coupon, partner.id)) {
      x.notes.push(`coupon ${ref}: redeemed through ${partner.id}; not echoed back`);
      continue;
    }
    out.push({ coupon, partner, pushed: m });
  }
  return out;
}

function pushedValueFen(o: Origin): number {
  const v = o.coupon.faceValue ?? Number(o.pushed.coupon_value);
  return Number.isSafeInteger(v) ? v : 0;
}

/** Maps the notifications: one per coupon, or one per partner when the branch says `per: partner`. */
function notifications(x: Exchange, origins: Origin[], paySerial: string): OutboxItemInput[] {
  const items: OutboxItemInput[] = [];
  const grouped = new Set<string>();
  for (const o of origins) {
    const mates = origins.filter((p) => p.partner.id === o.partner.id);
    x.map = mapContext(x, ledgerContext(o.coupon));
    Object.assign(x.map.ctx, {
      origin_dialect: o.partner.dialect.name,
      seq_id: stableSeqId(paySerial, o.coupon.id),
      coupon_codes: mates.length === 1 ? codeOf(o) : JSON.stringify(mates.map(codeOf)),
      order_amount_fen:
        Number(x.msg!.fields.pay_value) + mates.reduce((sum, p) => sum + pushedValueFen(p), 0),
    });
    selectBranch(x);
    const b = x.branch!;
    if (b.action !== 'enqueue' || !b.enqueue) {
      x.notes.push(`coupon ${o.coupon.id}: branch ${b.name} sends nothing`);
      continue;
    }
    if (b.enqueue.per === 'partner') {
      if (grouped.has(o.partner.id)) continue;
      grouped.add(o.partner.id);
    }
    const payload = buildFields(x);
    const dedupKey = String(compileGetter(b.enqueue.dedup)(x.map as unknown as Record<string, unknown>));
    items.push({
      kind: b.enqueue.kind,
      v: b.enqueue.v,
      destination: o.partner.config.notify?.base_url
        ? partnerDestination(o.partner.id)
        : o.partner.dialect.name,
      dedupKey,
      payload,
    });
    x.notes.push(`enqueued ${b.enqueue.kind}@${b.enqueue.v} for ${o.partner.id} (dedup ${dedupKey})`);
  }
  return items;
}

function codeOf(o: Origin): string {
  return o.coupon.couponCode ?? o.pushed.coupon_code ?? o.coupon.couponId ?? o.coupon.id;
}

async function markUsed(x: Exchange, origins: Origin[]): Promise<void> {
  for (const { coupon } of origins) {
    if (coupon.state !== 'available') continue;
    const r = await x.rt.store.transition(
      [coupon.id],
      'used',
      metaOf(x, `paid in P云 order ${String(x.msg!.fields.pay_serial)}`),
    );
    x.notes.push(
      r.applied
        ? `coupon ${coupon.id}: available → used`
        : `coupon ${coupon.id}: changed concurrently; left as is`,
    );
  }
}

export const paymentPush = inboundFlow<PyunPaymentPushRequest>(async (x, f) => {
  const paySerial = String(f.pay_serial);
  x.businessKeys.push(paySerial);
  const origins = await findOrigins(x, decodeCoupons(f.mcoupons));
  const items = notifications(x, origins, paySerial);
  checkNotifications(x.rt, items);
  await markUsed(x, origins);
  const answer = x.route.dialect.envelope.success(undefined, undefined, x.rt.entropy);
  // The push's dedup record is stored with its notifications, in one transaction.
  const { k, fp } = idempotencyRecord(x);
  const stored = await x.rt.store.recordPushWithNotifications(k, fp, items, answer, x.now);
  x.answer = answer;
  x.outcome = stored === 'stored' ? 'success' : 'replayed';
  if (stored === 'duplicate')
    x.notes.push(`pay_serial ${paySerial} already recorded; nothing enqueued again`);
  else if (items.length > 0) notificationsStored();
});
