/**
 * The outbox side of a producing flow (T4, T5): the selected `action: enqueue` branch becomes one
 * notification (its fields are the payload, `enqueue.dedup` names the partner-side dedup key), and
 * the store's refusal of a dedup key that already holds another notification is recognised, so a
 * flow can answer it as what it means for its caller.
 */
import { CbError, isCbError } from '../errors';
import type { Exchange } from '../pipeline/context';
import { buildFields } from '../pipeline/stages/map';
import { compileGetter, isEmpty } from '../mapping/paths';
import type { OutboxItemInput } from '../store/types';

/** The current branch's notification to `destination`; the branch must be `action: enqueue`. */
export function branchNotification(x: Exchange, destination: string): OutboxItemInput {
  const b = x.branch!;
  if (b.action !== 'enqueue' || !b.enqueue) {
    throw new CbError(
      'CB_MAPPING_FAILED',
      `branch ${b.name} of ${x.route.id} must be action: enqueue (enqueue.kind, v, dedup)`,
    );
  }
  const payload = buildFields(x);
  const key = compileGetter(b.enqueue.dedup)(x.map as unknown as Record<string, unknown>);
  return {
    kind: b.enqueue.kind,
    v: b.enqueue.v,
    destination,
    dedupKey: isEmpty(key) ? '' : String(key),
    payload,
  };
}

/**
 * The store refused an enqueue because (destination, dedupKey) already holds a different
 * notification (store/types.ts `OutboxItemInput.dedupKey`); the store reports it as CB_INTERNAL.
 */
export function isDedupConflict(e: unknown): boolean {
  return isCbError(e) && e.code === 'CB_INTERNAL' && /already holds a different notification/.test(e.detail);
}
