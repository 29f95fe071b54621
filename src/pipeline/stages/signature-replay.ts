/**
 * Replay protection for the Dianping dialect, whose classic scheme carries no timestamp and no
 * nonce (and whose GET requests put the signature in every proxy's access log): each request's
 * signature is remembered per partner for `replay.signature_memory_days`, and is accepted for one
 * meaning (route) only — a captured consume re-sent to consumeCouponOrder is refused instead of
 * refunding. A verbatim repeat on the same route is marked on the exchange
 * (`signatureRepeat`): the flows answer it as a duplicate, never as a new request. The router
 * scheme's `timestamp` (Beijing time `yyyy-MM-dd HH:mm:ss`) must also sit inside ±`replay.window_s`.
 */
import { CbError } from '../../errors';
import { checkSignatureReuse, checkWindow } from '../../ledger/replay-guard';
import type { Exchange } from '../context';

const DAY_MS = 86_400_000;
const BEIJING = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** A router timestamp as epoch ms; NaN when it is not `yyyy-MM-dd HH:mm:ss`. */
export function beijingTimeToMs(text: string | undefined): number {
  const m = BEIJING.exec(text ?? '');
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h - 8, mi, s);
}

export async function signatureReplay(x: Exchange): Promise<void> {
  const params = x.msg!.signingParams;
  const { window_s, signature_memory_days } = x.rt.config.replay;
  const nowMs = x.now.getTime();
  if (x.partner!.creds.scheme === 'dianping-router-md5') {
    const tsMs = beijingTimeToMs(params.timestamp);
    if (Number.isNaN(tsMs)) {
      throw new CbError(
        'CB_STALE_TIMESTAMP',
        `timestamp ${JSON.stringify(params.timestamp ?? null)} is not a Beijing time yyyy-MM-dd HH:mm:ss`,
      );
    }
    checkWindow(tsMs, params.timestamp, window_s, nowMs);
  }
  const reuse = await checkSignatureReuse(x.rt.nonces, {
    scope: `${x.route.dialect.name}-sig:${x.partner!.id}`,
    meaning: x.route.id,
    signature: params.sign ?? '',
    expiresAtMs: nowMs + signature_memory_days * DAY_MS,
    nowMs,
  });
  x.signatureRepeat = reuse === 'repeat';
  if (x.signatureRepeat) x.notes.push('signature already received on this route: a verbatim repeat');
}
