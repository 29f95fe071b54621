/**
 * The bounded fuzz run of `npm test` (issue 12 item 5): FUZZ_RUNS cases (default 1500) of random
 * and mutated requests on every inbound route and the P云 push. A failure prints fast-check's seed
 * and shrunk counterexample; `npm run fuzz -- --runs N --seed S` replays or extends it.
 */
import { after, before, test } from 'node:test';
import { fuzz, startFuzzStack, targetsOf } from './harness';
import type { Stack } from '../support/stack';
import assert from 'node:assert/strict';

let stack: Stack;
before(async () => {
  stack = await startFuzzStack();
});
after(async () => {
  await stack.close();
});

test('every route and the P云 push are fuzzed', () => {
  const ids = targetsOf(stack).map((t) => t.id);
  assert.ok(ids.includes('pyun.notify-payment'));
  assert.equal(ids.length, stack.running.rt.table.byId.size);
});

test('random and mutated requests: always an answer in the dialect, never a 500 or an altered message accepted', async () => {
  const runs = Number(process.env.FUZZ_RUNS ?? 1500);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  await fuzz(stack, runs, seed);
});
