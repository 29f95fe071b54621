import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReplay, type NonceMemory } from '../../src/ledger/replay-guard';
import { CbError } from '../../src/errors';

/** A nonce memory on a test clock (the runtime's store-backed one reads the wall clock). */
function createMemoryNonces(): NonceMemory {
  const seen = new Map<string, number>();
  let lastPurge = 0;
  return {
    async remember(scope, nonce, expiresAtMs, nowMs) {
      if (nowMs - lastPurge > 10_000) {
        for (const [k, exp] of seen) if (exp <= nowMs) seen.delete(k);
        lastPurge = nowMs;
      }
      const key = `${scope}\u0000${nonce}`;
      const exp = seen.get(key);
      if (exp !== undefined && exp > nowMs) return false;
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

const now = 1_700_000_000_000;
const base = { scope: 'tencent:K', unit: 'auto' as const, windowS: 300, nowMs: now };

async function rejects(p: Promise<unknown>, code: string, re: RegExp) {
  await assert.rejects(p, (e: unknown) => e instanceof CbError && e.code === code && re.test(e.detail));
}

describe('replay guard', () => {
  test('accepts a fresh timestamp in seconds and in milliseconds', async () => {
    const mem = createMemoryNonces();
    await checkReplay(mem, { ...base, timestamp: String(now / 1000), nonce: 'a' });
    await checkReplay(mem, { ...base, timestamp: String(now - 299_000), nonce: 'b' });
  });
  test('rejects a timestamp 301 s old and one 301 s ahead', async () => {
    const mem = createMemoryNonces();
    await rejects(
      checkReplay(mem, { ...base, timestamp: String(now / 1000 - 301), nonce: 'a' }),
      'CB_STALE_TIMESTAMP',
      /301 s old.*±300 s/,
    );
    await rejects(
      checkReplay(mem, { ...base, timestamp: now + 301_000, nonce: 'a' }),
      'CB_STALE_TIMESTAMP',
      /in the future/,
    );
  });
  test('rejects a nonce reused inside the window, per key id', async () => {
    const mem = createMemoryNonces();
    await checkReplay(mem, { ...base, timestamp: now, nonce: 'n1' });
    await rejects(
      checkReplay(mem, { ...base, timestamp: now, nonce: 'n1' }),
      'CB_REPLAYED_NONCE',
      /n1 was already used/,
    );
    await checkReplay(mem, { ...base, scope: 'tencent:OTHER', timestamp: now, nonce: 'n1' });
  });
  test('forgets a nonce once its timestamp can no longer be accepted', async () => {
    const mem = createMemoryNonces();
    await checkReplay(mem, { ...base, timestamp: now, nonce: 'n1' });
    const later = now + 700_000;
    await checkReplay(mem, { ...base, nowMs: later, timestamp: later, nonce: 'n1' });
  });
  test('a fixed unit reads the timestamp strictly', async () => {
    const mem = createMemoryNonces();
    await rejects(
      checkReplay(mem, { ...base, unit: 'ms', timestamp: String(now / 1000), nonce: 'x' }),
      'CB_STALE_TIMESTAMP',
      /old/,
    );
    await rejects(
      checkReplay(mem, { ...base, timestamp: 'soon', nonce: 'x' }),
      'CB_STALE_TIMESTAMP',
      /not an epoch/,
    );
  });
});
