/**
 * The fields a dialect adds to every outbound message (common parameters and the signature). A leaf
 * module: the checker (required fields produced) and the flows (idempotency fingerprints skip them)
 * both read it, so neither imports the other.
 */
import type { Dialect } from '../dialects/types';

export function commonFields(d: Dialect, encoding: 'json' | 'form' | 'query'): string[] {
  const built = d.buildRequest(
    { method: 'POST', path: '/', encoding },
    {},
    { keyId: 'k', secret: 'secret', scheme: d.defaultScheme },
  );
  return Object.keys(built.message);
}
