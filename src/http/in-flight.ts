/**
 * A cap on the calls in flight to one upstream (`upstreams.<name>.max_in_flight`). A call beyond
 * the cap is refused at once with CB_UPSTREAM_BUSY (503, the caller's "busy, retry" code), never
 * queued: while an upstream is slow, couponbridge holds at most `max` exchanges waiting on it, so
 * memory stays bounded whatever the callers send, and an excess caller learns it at once instead
 * of timing out behind the others.
 */
import { CbError } from '../errors';

export interface InFlightLimit {
  readonly max: number;
  /** Calls holding a slot now. */
  readonly current: number;
  /** Takes a slot or throws CB_UPSTREAM_BUSY; the returned function gives it back (once). */
  acquire(target: string): () => void;
}

export function createInFlightLimit(upstream: string, max: number): InFlightLimit {
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(`upstreams.${upstream}.max_in_flight must be a positive integer, got ${max}`);
  }
  let current = 0;
  return {
    max,
    get current() {
      return current;
    },
    acquire(target) {
      if (current >= max) {
        throw new CbError(
          'CB_UPSTREAM_BUSY',
          `${target}: ${current} calls to ${upstream} already in flight (upstreams.${upstream}.max_in_flight)`,
        );
      }
      current += 1;
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        current -= 1;
      };
    },
  };
}
