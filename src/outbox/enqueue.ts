/**
 * For producers (P1, T4, T5): checks notifications before they are stored, so that a payload no
 * reader accepts fails the producing exchange (which its caller then retries) instead of becoming
 * a dead letter later. Storing stays with the store's own transactional primitives
 * (recordPushWithNotifications, transition, upsertStockSync, enqueue). After storing, a producer
 * calls `notificationsStored()` so the worker delivers at once instead of at its next poll.
 */
import { CbError } from '../errors';
import type { OutboxItemInput } from '../store/types';
import type { Runtime } from '../runtime';
import { payloadProblems, readerOf } from './kinds';

/** Throws CB_MAPPING_FAILED naming the first notification that no reader accepts. */
export function checkNotifications(rt: Pick<Runtime, 'table' | 'registry'>, items: OutboxItemInput[]): void {
  for (const item of items) {
    const reader = readerOf(rt.table.set, item.kind, item.v);
    if (typeof reader === 'string') throw new CbError('CB_MAPPING_FAILED', reader);
    const problems = payloadProblems(rt.registry, reader, structuredClone(item.payload));
    if (problems)
      throw new CbError('CB_MAPPING_FAILED', `${item.kind}@${item.v} to ${item.destination}: ${problems}`);
    if (item.dedupKey === '')
      throw new CbError('CB_MAPPING_FAILED', `${item.kind}@${item.v}: empty dedupKey`);
  }
}

const wakers = new Set<() => void>();

/**
 * An outbox worker running in this process registers its wake-up here (server start); the
 * returned function unregisters it (server stop).
 */
export function onNotificationsStored(wake: () => void): () => void {
  wakers.add(wake);
  return () => wakers.delete(wake);
}

/** Tells the workers of this process that new notifications are stored (no-op without one). */
export function notificationsStored(): void {
  for (const wake of wakers) wake();
}
