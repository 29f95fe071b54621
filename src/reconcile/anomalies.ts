/**
 * Facts an exchange notices that settlement must show a person, recorded on the exchange and
 * stored with its journal record (off the request path, store table `exchange_anomalies`):
 *
 * - `push_unknown_coupon`: a P云 payment push named a coupon the ledger does not know (P1 answers
 *   1001 and notifies nobody, so the partner that issued it never hears of the payment).
 * - `redeem_duplicate`: P云 answered a redemption 1403 重复核销 (counted as redeemed, but it was
 *   already redeemed at P云: by another system, or by an earlier attempt whose answer was lost).
 * - `redeem_refused`: P云 refused a redemption with a business code that a retry will not change.
 */
import type { Exchange } from '../pipeline/context';
import type { AnomalyInput } from '../store/types';

export const anomalyKinds = ['push_unknown_coupon', 'redeem_duplicate', 'redeem_refused'] as const;
export type AnomalyKind = (typeof anomalyKinds)[number];

const REDEEM_SCHEMA = 'pyun/grant-sync-redeem.request';

export function noteAnomaly(x: Exchange, a: AnomalyInput & { kind: AnomalyKind }): void {
  (x.anomalies ??= []).push(a);
}

/** After a P云 call: notes a redemption answered 1403, or refused with a terminal business code. */
export function noteRedeemAnswer(x: Exchange): void {
  const o = x.upstream;
  if (x.branch?.schema !== REDEEM_SCHEMA || o?.kind !== 'answer') return;
  const ref = String(x.outbound?.message.grant_serial ?? '');
  const message = String((o.body as { message?: unknown } | undefined)?.message ?? '');
  if (o.code === '1403') {
    noteAnomaly(x, { kind: 'redeem_duplicate', ref, code: o.code, detail: `P云 1403 ${message}`.trim() });
  } else if (x.outcome !== 'success' && x.retryable !== true) {
    noteAnomaly(x, {
      kind: 'redeem_refused',
      ref,
      code: o.code,
      detail: `P云 ${o.code ?? '?'} ${message}`.trim(),
    });
  }
}
