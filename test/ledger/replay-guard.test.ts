import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReplay, checkSignatureReuse, type NonceMemory } from '../../src/ledger/replay-guard';
import { beijingTimeToMs } from '../../src/pipeline/stages/signature-replay';
import { eventIdFor } from '../../src/mapping/converters';
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

describe('signature memory (Dianping: no nonce, one meaning per signature)', () => {
  const sig = (meaning: string, signature: string, nowMs = now) => ({
    scope: 'dianping-sig:pos-a',
    meaning,
    signature,
    expiresAtMs: nowMs + 30 * 86_400_000,
    nowMs,
  });

  test('first use, then a verbatim repeat on the same route, never the same signature on another route', async () => {
    const mem = createMemoryNonces();
    assert.equal(await checkSignatureReuse(mem, sig('consume', 'ABC')), 'first');
    assert.equal(
      await checkSignatureReuse(mem, sig('consume', 'abc')),
      'repeat',
      'case does not make it new',
    );
    await rejects(checkSignatureReuse(mem, sig('order', 'ABC')), 'CB_REPLAYED_NONCE', /one meaning only/);
    assert.equal(await checkSignatureReuse(mem, sig('order', 'DEF')), 'first');
  });

  test('identical requests arriving together: one first, the others verbatim repeats, none refused', async () => {
    // A store whose answers overtake one another, as concurrent PostgreSQL transactions do: the
    // first request's second step (remembering its meaning) is the slowest. Unserialised, a repeat
    // would find the signature remembered but its meaning not, and be refused as another meaning.
    const inner = createMemoryNonces();
    let meaningSteps = 0;
    const overtaking: NonceMemory = {
      remember: (scope, nonce, expiresAtMs, nowMs) => {
        const delayMs = nonce.includes('|') && meaningSteps++ === 0 ? 30 : 1;
        return new Promise((resolve) =>
          setTimeout(() => resolve(inner.remember(scope, nonce, expiresAtMs, nowMs)), delayMs),
        );
      },
    };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => checkSignatureReuse(overtaking, sig('consume', 'RACE'))),
    );
    assert.deepEqual(outcomes.sort(), ['first', ...Array<string>(9).fill('repeat')]);
    await rejects(
      checkSignatureReuse(overtaking, sig('order', 'RACE')),
      'CB_REPLAYED_NONCE',
      /one meaning only/,
    );
  });

  test('the memory lasts its period, then the signature is new again', async () => {
    const mem = createMemoryNonces();
    await checkSignatureReuse(mem, sig('consume', 'ABC'));
    const later = now + 30 * 86_400_000 + 1;
    assert.equal(await checkSignatureReuse(mem, sig('order', 'ABC', later)), 'first');
  });

  test('router timestamps are Beijing time', () => {
    assert.equal(beijingTimeToMs('2024-03-01 10:15:30'), Date.parse('2024-03-01T02:15:30Z'));
    assert.ok(Number.isNaN(beijingTimeToMs('2024-03-01T10:15:30')));
    assert.ok(Number.isNaN(beijingTimeToMs(undefined)));
  });
});

describe('P云 event_id of a claim', () => {
  test('deterministic, 32 characters, distinct per partner for the same request_id', () => {
    const a = eventIdFor('sp-a', 'req-1');
    assert.equal(a, eventIdFor('sp-a', 'req-1'));
    assert.match(a, /^E[A-Z2-7]{31}$/);
    assert.notEqual(a, eventIdFor('sp-b', 'req-1'));
    // Concatenated without a separator both would read "sp-a1req".
    assert.notEqual(eventIdFor('sp-a', '1req'), eventIdFor('sp-a1', 'req'));
  });
});
