/**
 * The scale-out store end to end: the claim (quotas and idempotency under concurrency), the P1
 * push, T4 with its outbox, the Dianping consume suites and the Dianping replay attacks (signature
 * memory in the nonce table) run again with PostgreSQL as the store
 * (each stack in a schema of its own; see test/support/stack.ts). With CI=true an unreachable
 * server fails the run; locally the check is skipped, loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../../src/util/paths';

const url = process.env.COUPONBRIDGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const suites = [
  't2-claim',
  'p1-payment-push',
  'tencent-deactivate',
  'dianping-consume',
  'ownership-dianping',
  'reconcile',
].map((n) => join(projectRoot(), 'test', 'e2e', `${n}.test.ts`));

/** The TAP blocks of the failed tests (each `not ok` line and what follows it), so a failure names its test. */
function failures(tap: string): string {
  const lines = tap.split('\n');
  return lines
    .flatMap((l, i) => (/^\s*not ok /.test(l) ? [lines.slice(i, i + 25).join('\n')] : []))
    .join('\n…\n');
}

async function reachable(): Promise<string | undefined> {
  const c = new Client({ connectionString: url });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('the end-to-end flows pass on PostgreSQL', { timeout: 240_000 }, async (t) => {
  const down = await reachable();
  if (down) {
    if (process.env.CI === 'true') assert.fail(`PostgreSQL unreachable at ${url}: ${down}`);
    t.skip(`PostgreSQL unreachable at ${url}: ${down}`);
    return;
  }
  // NODE_TEST_CONTEXT would make the inner runner report to this one instead of running on its own.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...suites], {
    env: { ...env, COUPONBRIDGE_TEST_STORE: url },
    encoding: 'utf8',
    timeout: 230_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, failures(r.stdout) || out.slice(-4000));
  const passed = Number(/^# pass (\d+)$/m.exec(r.stdout)?.[1] ?? 0);
  assert.ok(passed >= 40, `expected the suites' tests to run, got ${passed}: ${out.slice(-2000)}`);
});
