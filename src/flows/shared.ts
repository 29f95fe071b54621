/** Small pieces every ledger flow shares. */
import type { Dialect } from '../dialects/types';
import { commonFields } from '../mapping/common-fields';

const cache = new Map<string, string[]>();

/**
 * The fields a dialect's transport adds to every message (key id, timestamp, nonce, seq_id,
 * signature): they differ between a request and its retry, so idempotency fingerprints skip them.
 */
export function transportFields(d: Dialect): string[] {
  let f = cache.get(d.name);
  if (!f) {
    f = commonFields(d, 'form');
    cache.set(d.name, f);
  }
  return f;
}
