/**
 * Redeeming Dianping coupon codes at P云 grant/sync (D1, D2, D4), one call per code:
 *  1. load each code's ledger record among the caller's coupons and check its state before anything
 *     is sent — another partner's coupon is refused (3009023, nothing sent), a code this same
 *     order/consume already redeemed is skipped, any other non-available state is refused;
 *  2. build every P云 message through the route's mapping (ctx.code, ctx.share_fen, ledger.*),
 *     so a mapping error (no park_uuid…) sends nothing;
 *  3. send them one by one, stopping at the first P云 failure; each accepted code becomes `used`
 *     in the ledger at once (an unknown code is registered as used), so a retry skips it.
 */
import { CbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import type { CompiledBranch, MapContext } from '../mapping/compile';
import type { MappingDoc } from '../mapping/types';
import { forward } from '../pipeline/translate';
import { buildFields, mapContext, selectBranch } from '../pipeline/stages/map';
import { ledgerContext, metaOf } from '../ledger/coupons';
import type { CouponRecord } from '../store/types';
import { dianpingUse, findCoupon, type DianpingUse } from './dianping-shared';

/** The ledger stock id of a Dianping code the ledger did not know before it was redeemed. */
const DIANPING_STOCK = 'dianping';

export interface CodeTarget {
  code: string;
  coupon?: CouponRecord;
  /** Already redeemed for this same purpose: not sent again. */
  done: boolean;
}

export interface Redemption extends CodeTarget {
  map: MapContext;
  branch: CompiledBranch;
  fields: Record<string, unknown>;
}

function whose(c: CouponRecord): string {
  const use = dianpingUse(c);
  if (use?.orderId) return ` (Dianping order ${use.orderId})`;
  return use?.core ? ' (core-consumed through Dianping)' : '';
}

/** `owned`: a used coupon that this same order/consume redeemed earlier. */
export async function loadTargets(
  x: Exchange,
  codes: string[],
  owned: (c: CouponRecord) => boolean,
): Promise<CodeTarget[]> {
  const out: CodeTarget[] = [];
  for (const code of codes) {
    x.businessKeys.push(code);
    const { coupon, foreign } = await findCoupon(x, code);
    // An unknown code is sent to P云 as its grant serial; another partner's coupon never is.
    if (foreign) throw new CbError('CB_COUPON_NOT_FOUND', `coupon ${code} is unknown to this partner`);
    const done = coupon?.state === 'used' && owned(coupon);
    if (coupon && !done && coupon.state !== 'available') {
      throw new CbError(
        'CB_ILLEGAL_TRANSITION',
        `coupon ${code} is ${coupon.state} in the ledger${whose(coupon)} and cannot be redeemed`,
      );
    }
    out.push({ code, coupon, done });
  }
  return out;
}

function plan(x: Exchange, t: CodeTarget, shareFen: number | undefined): Redemption {
  x.map = mapContext(x, t.coupon ? ledgerContext(t.coupon) : undefined);
  x.map.ctx.code = t.code;
  x.map.ctx.share_fen = shareFen;
  try {
    selectBranch(x);
    const branch = x.branch!;
    if (branch.action !== 'call') {
      throw new CbError(
        'CB_MAPPING_FAILED',
        `branch ${branch.name}: the Dianping consume flows only send (action call)`,
      );
    }
    return { ...t, map: x.map, branch, fields: buildFields(x) };
  } catch (e) {
    if (e instanceof CbError && e.code === 'CB_MAPPING_FAILED') {
      throw new CbError(e.code, `couponCode ${t.code}: ${e.detail}`);
    }
    throw e;
  }
}

/** Builds the P云 message of every code still to send; `shares[i]` is the i-th code's value in 分. */
export function planRedemptions(
  x: Exchange,
  targets: CodeTarget[],
  shares: Array<number | undefined>,
): Redemption[] {
  return targets.flatMap((t, i) => (t.done ? [] : [plan(x, t, shares[i])]));
}

function upstreamCode(x: Exchange): string {
  const o = x.upstream;
  return o?.kind === 'answer' ? String(o.code) : (o?.kind ?? 'nothing');
}

type CodeClaims = NonNullable<MappingDoc['inbound']['claims']>;

/** The claim record of a code: namespace (inbound dialect, declared scope), shared by the routes declaring it. */
function claimKey(x: Exchange, claims: CodeClaims, code: string) {
  return { partner: x.route.dialect.name, route: claims.scope, key: code };
}

/**
 * A per-code claim (the mapping's `inbound.claims`), so two different orders redeeming one code at
 * the same moment cannot both succeed (P云 would answer the second 1403, which counts as redeemed):
 * an idempotency record keyed by the code whose fingerprint is the owning order. The same owner
 * passes (its retry); another owner is refused while the claim is held or after it succeeded; a
 * claim left by a crashed attempt is taken over after `leaseMs`.
 */
async function claimCode(
  x: Exchange,
  claims: CodeClaims,
  code: string,
  owner: string,
  leaseMs: number,
): Promise<void> {
  const store = x.rt.store;
  const k = claimKey(x, claims, code);
  const b = await store.idemBegin(k, owner, x.now);
  if (b.state === 'new' || b.fingerprint === owner) return;
  if (b.state === 'started' && x.now.getTime() - b.startedAt.getTime() > leaseMs) {
    if (await store.idemReclaimStale(k, new Date(x.now.getTime() - leaseMs), x.now)) return;
  }
  throw new CbError(
    'CB_ILLEGAL_TRANSITION',
    `coupon ${code} ${b.state === 'started' ? 'is being' : 'was'} redeemed by another Dianping order`,
  );
}

async function releaseCode(x: Exchange, claims: CodeClaims, code: string, redeemed: boolean): Promise<void> {
  const k = claimKey(x, claims, code);
  if (redeemed)
    await x.rt.store.idemFinish(k, { status: 200, contentType: 'text/plain', body: 'redeemed' }, 'success');
  else await x.rt.store.idemAbandon(k);
}

/**
 * Sends each redemption in turn and records it; false at the first failure (x.answer holds it).
 * `owner` names what redeems the codes (the orderId, or the core consume) for the per-code claim
 * the mapping declares (`inbound.claims`; none declared: no claim).
 */
export async function sendRedemptions(
  x: Exchange,
  plans: Redemption[],
  record: (r: Redemption) => Promise<void>,
  owner: string,
): Promise<boolean> {
  const leaseMs = 2 * (x.rt.upstreams.get(x.route.target?.upstream ?? 'pyun')?.timeoutMs ?? 5000) + 5000;
  const claims = x.route.doc.inbound.claims;
  for (const r of plans) {
    x.map = r.map;
    x.branch = r.branch;
    if (claims) await claimCode(x, claims, r.code, owner, leaseMs);
    try {
      await forward(x, r.fields);
    } catch (e) {
      if (claims) await releaseCode(x, claims, r.code, false);
      throw e;
    }
    if (claims) await releaseCode(x, claims, r.code, x.outcome === 'success');
    if (x.outcome !== 'success') {
      x.notes.push(`${r.code}: not redeemed (P云 ${upstreamCode(x)}); later codes not sent`);
      return false;
    }
    x.notes.push(
      `${r.code}: redeemed at P云 (${upstreamCode(x)}; grant_serial ${String(r.fields.grant_serial)}, apply_value ${String(r.fields.apply_value)})`,
    );
    await record(r);
  }
  return true;
}

/** The ledger side of an accepted code: `used`, with its Dianping use merged into attrs.dianping. */
export async function markUsed(x: Exchange, r: Redemption, use: DianpingUse, reason: string): Promise<void> {
  const store = x.rt.store;
  const meta = metaOf(x, reason);
  const sent = {
    ...use,
    couponValueFen: Number(r.fields.coupon_value),
    applyValueFen: Number(r.fields.apply_value),
  };
  const c = r.coupon;
  if (!c) {
    await store.upsertCoupon(
      {
        id: `dianping:${r.code}`,
        stockId: DIANPING_STOCK,
        partner: x.partner!.id,
        couponCode: r.code,
        grantSerial: String(r.fields.grant_serial),
        parkUuid: String(r.fields.park_uuid),
        attrs: { dianping: sent },
        state: 'used',
      },
      meta,
    );
    x.notes.push(`coupon ${r.code} registered in the ledger as used`);
    return;
  }
  const attrs = { ...c.attrs, dianping: { ...dianpingUse(c), ...sent } };
  await store.upsertCoupon(
    {
      id: c.id,
      stockId: c.stockId,
      partner: c.partner,
      couponCode: c.couponCode ?? r.code,
      attrs,
      state: 'used',
    },
    meta,
  );
  const t = await store.transition([c.id], 'used', meta);
  x.notes.push(
    t.applied
      ? `coupon ${r.code}: ${c.state} → used`
      : `coupon ${r.code} changed concurrently; ledger left as is`,
  );
}
