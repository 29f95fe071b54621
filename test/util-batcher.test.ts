import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatcher } from '../src/util/batcher';

describe('group-commit batcher', () => {
  test('items added in one turn are flushed together, each getting its own result', async () => {
    const batches: number[][] = [];
    const b = createBatcher(
      async (xs: number[]) => {
        batches.push(xs);
        return xs.map((x) => x * 2);
      },
      { maxItems: 100, maxWaitMs: 0 },
    );
    const out = await Promise.all([1, 2, 3].map((x) => b.add(x)));
    assert.deepEqual(out, [2, 4, 6]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });
  test('maxItems cuts a batch, and a failed flush rejects its items only', async () => {
    let n = 0;
    const b = createBatcher(
      async (xs: number[]) => {
        n++;
        if (xs.includes(3)) throw new Error('boom');
        return xs;
      },
      { maxItems: 2, maxWaitMs: 5 },
    );
    const r = await Promise.allSettled([1, 2, 3].map((x) => b.add(x)));
    assert.deepEqual(
      r.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    );
    assert.equal(n, 2);
  });
  test('drain flushes what is queued', async () => {
    const seen: string[] = [];
    const b = createBatcher(
      async (xs: string[]) => {
        seen.push(...xs);
        return xs;
      },
      { maxItems: 100, maxWaitMs: 10_000 },
    );
    void b.add('a');
    await b.drain();
    assert.deepEqual(seen, ['a']);
  });
});
