/**
 * Idempotency on business keys (Tencent request_id, P云 event_id, Dianping orderId), keyed by
 * (partner, route, key) with a fingerprint of the canonical payload:
 *  - same key, same payload, finished → the stored first answer, byte for byte, no upstream call;
 *  - same key, different payload → CB_IDEMPOTENCY_CONFLICT;
 *  - a duplicate arriving while the first is in flight waits (bounded) for its answer, and gets
 *    CB_IN_PROGRESS (retryable) if it does not come; a holder that crashed is taken over after
 *    the lease;
 *  - a retryable failure is abandoned so a retry runs again; a terminal one is replayed;
 *  - an attempt may finish the record in its own last transaction (`finished`), one commit fewer.
 */
import { createHash } from 'node:crypto';
import { CbError } from '../errors';
import type { Answer } from '../dialects/types';
import type { IdemKey, Store } from '../store/types';

export type RunOutcome = 'success' | 'terminal' | 'retryable';

export interface IdempotencyOptions {
  /** How long a duplicate waits for the first attempt's answer. */
  waitMs: number;
  /** A started record older than this belongs to a crashed holder. */
  leaseMs: number;
  pollMs: number;
}

export const defaultIdempotency: IdempotencyOptions = { waitMs: 8000, leaseMs: 60_000, pollMs: 15 };

/**
 * Options sized by the upstream call the first attempt makes: a duplicate waits as long as that
 * call may take (+1 s), and a started record older than twice that (+5 s) cannot belong to a live
 * attempt any more — its holder crashed — so it is taken over.
 */
export function idempotencyFor(upstreamTimeoutMs: number): IdempotencyOptions {
  return { waitMs: upstreamTimeoutMs + 1000, leaseMs: 2 * upstreamTimeoutMs + 5000, pollMs: 15 };
}

/** Canonical JSON (sorted keys) of the business fields, hashed. */
export function fingerprint(fields: Record<string, unknown>, ignore: readonly string[]): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, canon(o[k])]),
      );
    }
    return v === undefined || v === null ? null : String(v);
  };
  const business: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!ignore.includes(k)) business[k] = v;
  return createHash('sha256')
    .update(JSON.stringify(canon(business)))
    .digest('hex');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function replay(answer: { status: number; contentType: string; body: string }): Answer {
  return { status: answer.status, contentType: answer.contentType, body: answer.body };
}

export interface IdempotentCall {
  /**
   * Answer for a repeat of a key that already finished successfully, instead of replaying the
   * stored answer (Dianping: a consumed orderId sent again is `3001001 订单号重复`).
   */
  onRepeat?: () => Answer;
  /** Fingerprint mismatch is not an error but the same repeat answer (when onRepeat is given). */
  repeatIgnoresPayload?: boolean;
}

/**
 * What one attempt gives. `finished`: the attempt finished the record itself, in the transaction
 * of its last write (a claim's grant, Store.activateCoupon's `finish`), with this answer.
 */
export interface RunResult {
  answer: Answer;
  outcome: RunOutcome;
  finished?: boolean;
}

export async function idempotent(
  store: Store,
  k: IdemKey,
  fp: string,
  run: (k: IdemKey) => Promise<RunResult>,
  opts: IdempotencyOptions = defaultIdempotency,
  call: IdempotentCall = {},
): Promise<{ answer: Answer; replayed: boolean }> {
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    const now = new Date();
    const begun = await store.idemBegin(k, fp, now);
    if (begun.state === 'finished') {
      if (
        call.onRepeat &&
        begun.outcome === 'success' &&
        (call.repeatIgnoresPayload || begun.fingerprint === fp)
      ) {
        return { answer: call.onRepeat(), replayed: true };
      }
      if (begun.fingerprint !== fp) throw conflict(k);
      return { answer: replay(begun.answer), replayed: true };
    }
    let owner = begun.state === 'new';
    if (begun.state === 'started') {
      if (begun.fingerprint !== fp) throw conflict(k);
      if (now.getTime() - begun.startedAt.getTime() > opts.leaseMs) {
        owner = await store.idemReclaimStale(k, new Date(now.getTime() - opts.leaseMs), now);
      }
      if (!owner) {
        if (Date.now() >= deadline) {
          throw new CbError(
            'CB_IN_PROGRESS',
            `${k.key} is still being processed by an earlier request; retry later`,
          );
        }
        await sleep(opts.pollMs);
        continue;
      }
    }
    let result: RunResult;
    try {
      result = await run(k);
    } catch (e) {
      await store.idemAbandon(k);
      throw e;
    }
    if (result.finished) {
      // committed with the attempt's last write
    } else if (result.outcome === 'retryable') await store.idemAbandon(k);
    else await store.idemFinish(k, result.answer, result.outcome);
    return { answer: result.answer, replayed: false };
  }
}

function conflict(k: IdemKey): CbError {
  return new CbError('CB_IDEMPOTENCY_CONFLICT', `${k.key} was already used with a different payload`);
}
