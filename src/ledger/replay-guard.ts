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

/** Refuses a timestamp (already in ms) outside ±window of server time. */
export function checkWindow(tsMs: number, shown: unknown, windowS: number, nowMs: number): void {
  const skewS = Math.round((nowMs - tsMs) / 1000);
  if (!Number.isFinite(tsMs) || Math.abs(nowMs - tsMs) > windowS * 1000) {
    throw new CbError(
      'CB_STALE_TIMESTAMP',
      `timestamp ${String(shown)} is ${Math.abs(skewS)} s ${skewS > 0 ? 'old' : 'in the future'} (accepted window ±${windowS} s)`,
    );
  }
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
  checkWindow(tsMs, c.timestamp, c.windowS, c.nowMs);
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

export interface SignatureCheck {
  /** Per partner, e.g. `dianping-sig:pos-a`. */
  scope: string;
  /** What the request means (the route id): a signature is never accepted for a second meaning. */
  meaning: string;
  signature: string;
  expiresAtMs: number;
  nowMs: number;
}

/**
 * Signature memory for requests that carry no nonce (Dianping): the signature value itself is
 * the nonce. A signature seen before for another meaning (a consume re-sent to the refund route)
 * is refused; one seen for the same meaning is a verbatim repeat — `repeat`, for the flow to answer
 * as a duplicate (its idempotency records do) and never as something new.
 */
export function checkSignatureReuse(mem: NonceMemory, c: SignatureCheck): Promise<'first' | 'repeat'> {
  const sig = c.signature.toUpperCase();
  return oneAtATime(`${c.scope}|${sig}`, async () => {
    const first = await mem.remember(c.scope, sig, c.expiresAtMs, c.nowMs);
    const sameMeaning = !(await mem.remember(c.scope, `${c.meaning}|${sig}`, c.expiresAtMs, c.nowMs));
    if (first) return 'first';
    if (sameMeaning) return 'repeat';
    throw new CbError(
      'CB_REPLAYED_NONCE',
      'this signature was already used for another request: a signed request is accepted for one meaning only',
    );
  });
}

/** The checks of one signature in progress in this process, chained so they never interleave. */
const inProgress = new Map<string, Promise<unknown>>();

/**
 * Runs the checks of one signature one after the other. The two `remember`s of a check are not one
 * atomic step: interleaved, a verbatim repeat arriving at the same moment as the first request
 * could find the signature remembered but its meaning not yet, and be refused as another meaning.
 * (Across instances sharing PostgreSQL that race remains, and fails safe: a refusal, never a second
 * execution.)
 */
function oneAtATime<T>(key: string, check: () => Promise<T>): Promise<T> {
  const run = (inProgress.get(key) ?? Promise.resolve()).then(check, check);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  inProgress.set(key, settled);
  void settled.then(() => {
    if (inProgress.get(key) === settled) inProgress.delete(key);
  });
  return run;
}
