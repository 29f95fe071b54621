/**
 * Replay protection for dialects that carry a timestamp and a nonce (Tencent): the timestamp
 * must sit inside ±window of server time (seconds or milliseconds, told apart by magnitude,
 * or fixed per partner), and a nonce may be used once per key id inside the window.
 * The nonce memory is pluggable; the runtime keeps it in the store (runtime.ts createStoreNonces).
 */
import { CbError } from '../errors';
import { epochInUnit, epochToMs } from '../time';

export interface NonceMemory {
  /** Remembers the nonce; false when it was already seen and has not expired. */
  remember(scope: string, nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

export interface ReplayCheck {
  scope: string;
  timestamp: unknown;
  nonce: unknown;
  unit: 'auto' | 's' | 'ms';
  windowS: number;
  nowMs: number;
}

export async function checkReplay(mem: NonceMemory, c: ReplayCheck): Promise<void> {
  let tsMs: number;
  try {
    tsMs = c.unit === 'auto' ? epochToMs(c.timestamp) : epochInUnit(c.timestamp, c.unit);
  } catch {
    throw new CbError(
      'CB_STALE_TIMESTAMP',
      `timestamp ${JSON.stringify(c.timestamp)} is not an epoch time in seconds or milliseconds`,
    );
  }
  const skewS = Math.round((c.nowMs - tsMs) / 1000);
  if (Math.abs(c.nowMs - tsMs) > c.windowS * 1000) {
    throw new CbError(
      'CB_STALE_TIMESTAMP',
      `timestamp ${String(c.timestamp)} is ${Math.abs(skewS)} s ${skewS > 0 ? 'old' : 'in the future'} (accepted window ±${c.windowS} s)`,
    );
  }
  if (typeof c.nonce !== 'string' && typeof c.nonce !== 'number') {
    throw new CbError('CB_REPLAYED_NONCE', 'nonce missing');
  }
  const fresh = await mem.remember(c.scope, String(c.nonce), tsMs + c.windowS * 1000 * 2, c.nowMs);
  if (!fresh)
    throw new CbError(
      'CB_REPLAYED_NONCE',
      `nonce ${String(c.nonce)} was already used within the ${c.windowS} s window`,
    );
}
