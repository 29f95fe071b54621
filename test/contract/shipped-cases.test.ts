/**
 * `couponbridge test` on the shipped mappings: every case passes and every branch and code-table
 * row of every route is exercised (--require-full-coverage). A mapping edit that changes what
 * couponbridge sends or answers fails here, naming the case file, line and field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from '../../src/cli/commands/test';
import { runCli } from '../support/cli';

test('the shipped cases pass with full branch and code-row coverage', async () => {
  const run = await runCli([register], ['test', '--require-full-coverage']);
  const out = run.stdout + run.stderr;
  const code = run.code;
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /FAIL|not exercised/);
  // 18 routes, each with its coverage line; the totals are the shipped mappings' (literal)
  assert.equal(out.match(/^coverage (?!total)/gm)?.length, 18, out);
  assert.match(out, /^coverage total: branches 26\/26, code rows 199\/199$/m);
  assert.match(out, /^coverage tencent\.coupon-status-rsync: branches 3\/3, code rows 20\/20$/m);
  assert.match(out, /^coverage notify\.dianping\.consume-coupon\.v1: branches 1\/1, code rows 17\/17$/m);
  assert.match(out, /^214 passed, 0 failed$/m);
});
