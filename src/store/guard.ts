/**
 * The store guard: a circuit breaker in front of any Store. When a call finds the database
 * unreachable (a lost connection, a connect or query timeout: `isConnectionLost`), the guard opens:
 * every later call fails at once with CB_STORE_UNAVAILABLE instead of waiting out its own timeout,
 * so each exchange pays at most one store timeout and callers get their 503 quickly. Meanwhile a
 * probe (`ping`) runs with exponential backoff (250 ms doubling to 5 s); the first success closes
 * the guard and calls go through again — no restart needed. Busy, full or read-only errors do not
 * open it: they concern one statement, not the database.
 *
 * `health()` is what /readyz reports and what the outbox worker pauses on.
 */
import { isConnectionLost, StoreUnavailableError } from './failures';
import type { Store } from './types';

export interface StoreHealth {
  up: boolean;
  /** Why the store is down, and since when. */
  reason?: string;
  since?: Date;
}

export interface GuardedStore extends Store {
  health(): StoreHealth;
  /** Resolves once the store is up (at once when it is). */
  whenUp(): Promise<void>;
}

export interface GuardOptions {
  /** Logs the transitions (down with the reason, up again with the outage's length). */
  onChange?: (h: StoreHealth, downMs?: number) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export function guardStore(store: Store, opts: GuardOptions = {}): GuardedStore {
  const minMs = opts.minBackoffMs ?? 250;
  const maxMs = opts.maxBackoffMs ?? 5000;
  let down: { reason: string; since: Date } | undefined;
  let probe: NodeJS.Timeout | undefined;
  let closed = false;
  let waiters: Array<() => void> = [];

  const health = (): StoreHealth =>
    down ? { up: false, reason: down.reason, since: down.since } : { up: true };

  function setUp(): void {
    if (!down) return;
    const ms = Date.now() - down.since.getTime();
    down = undefined;
    opts.onChange?.(health(), ms);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }

  function schedule(delayMs: number): void {
    if (closed) return;
    probe = setTimeout(() => {
      store.ping().then(setUp, (e: unknown) => {
        if (down) down.reason = (e as Error).message;
        schedule(Math.min(delayMs * 2, maxMs));
      });
    }, delayMs);
    probe.unref();
  }

  function setDown(e: unknown): void {
    if (down || closed) return;
    down = { reason: (e as Error).message, since: new Date() };
    opts.onChange?.(health());
    schedule(minMs);
  }

  const fail = (): Promise<never> =>
    Promise.reject(
      new StoreUnavailableError(
        `the store is unreachable since ${down!.since.toISOString()} (${down!.reason}); retry later`,
        true,
      ),
    );

  const wrapped = new Map<PropertyKey, unknown>();
  // A method assigned through the guard replaces the target's (and drops its cached wrapper); a
  // wrapper read back and assigned again is kept as it is, never wrapped twice.
  const wrappers = new WeakSet<object>();
  const guarded = new Proxy(store, {
    set(target, prop, value) {
      wrapped.delete(prop);
      return Reflect.set(target, prop, value);
    },
    get(target, prop, receiver) {
      if (wrapped.has(prop)) return wrapped.get(prop);
      if (prop === 'health') return health;
      if (prop === 'whenUp')
        return () => (down ? new Promise<void>((r) => waiters.push(r)) : Promise.resolve());
      if (prop === 'close') {
        return () => {
          closed = true;
          clearTimeout(probe);
          return target.close();
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || wrappers.has(value)) return value;
      const method = value as (...a: unknown[]) => Promise<unknown>;
      // ping always reaches the database: it is the probe, and /readyz's own check.
      const probing = prop === 'ping';
      const call = (...args: unknown[]): Promise<unknown> => {
        if (down && !probing) return fail();
        return method.apply(target, args).then(
          (result) => {
            if (probing) setUp();
            return result;
          },
          (e: unknown) => {
            if (isConnectionLost(e)) setDown(e);
            throw e;
          },
        );
      };
      wrappers.add(call);
      wrapped.set(prop, call);
      return call;
    },
  });
  return guarded as GuardedStore;
}
