/**
 * PostgreSQL faults under traffic: couponbridge reaches the real server through a TCP relay
 * (test/support/tcp-relay.ts) that is cut — connections reset, then a blackhole that only timeouts
 * notice — and restored. While cut, every exchange is answered in its caller's dialect with the
 * "system error, retry" code and HTTP 503 within the upstream timeout + 5 s, /readyz answers 503
 * naming the store, the outbox worker pauses; once restored, requests succeed again and the
 * notification accepted before the cut is delivered, without a restart. The process surviving is
 * the test runner itself surviving. Each answer's status, code and time are printed for the record.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { baseUrl, withPg } from '../support/pg';
import { startStack, type Stack, claimCoupon } from '../support/stack';
import { startTcpRelay, type CutMode, type TcpRelay } from '../support/tcp-relay';
import { form, push, readyz, retryCode, startLoad, traffic } from '../support/faults';
import { parkPosYaml } from '../e2e/dianping-client';

const PYUN_TIMEOUT_MS = 1500;
const BOUND_MS = PYUN_TIMEOUT_MS + 5000;
const schema = `cbfault_${randomBytes(6).toString('hex')}`;

const reachability = (): Promise<string | undefined> =>
  withPg((c) => c.query('SELECT 1')).then(
    () => undefined,
    (e: Error) => e.message,
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// An error nobody handled would end a real process: here it is collected and fails the test.
const escaped: unknown[] = [];
process.on('uncaughtException', (e) => escaped.push(e));
process.on('unhandledRejection', (e) => escaped.push(e));

let relay: TcpRelay;
let stack: Stack;

describe('PostgreSQL cut and restored under traffic', async () => {
  const down = await reachability();
  if (down && process.env.CI !== 'true') {
    console.error(`\n*** PostgreSQL unreachable at ${baseUrl} (${down}): SKIPPING the fault tests ***\n`);
    test('PostgreSQL faults', { skip: `PostgreSQL unreachable: ${down}` }, () => undefined);
    return;
  }
  before(async () => {
    if (down) assert.fail(`PostgreSQL unreachable at ${baseUrl}: ${down}`);
    const u = new URL(baseUrl);
    relay = await startTcpRelay({ host: u.hostname, port: Number(u.port || 5432) });
    u.host = `${relay.host}:${relay.port}`;
    u.searchParams.set('schema', schema);
    stack = await startStack({
      store: u.toString(),
      pyunTimeoutMs: PYUN_TIMEOUT_MS,
      // Retries every 300 ms for long enough to outlast a cut.
      extraYaml: `${parkPosYaml}\ngrant_serial_fallback: coupon_id\noutbox: { retry_schedule_ms: [${Array(40).fill(300).join(', ')}], jitter: 0, poll_interval_ms: 50, lease_ms: 2000 }`,
    });
  });
  after(async () => {
    await stack?.close();
    await relay?.close();
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  });

  for (const mode of ['close', 'blackhole'] as CutMode[]) {
    test(`${mode}: 503 in each dialect within the bound, readyz names the store, the outbox pauses and resumes`, async () => {
      const { grantSerial } = await claimCoupon(stack);
      const before = await traffic(stack, grantSerial);
      for (const r of before) assert.equal(r.status, 200, `${r.name} before the cut: ${JSON.stringify(r)}`);

      // A notification accepted before the cut, held back by Tencent being down, must survive it.
      const held = await claimCoupon(stack);
      stack.sandbox.fault('tencent', { mode: 'down' });
      const accepted = await stack.post('/pyun/notify/payment', push(held.grantSerial), form);
      assert.equal(accepted.json.code, '1001', accepted.body);

      const load = startLoad(stack);
      await sleep(200);
      relay.cut(mode);
      const during = await traffic(stack, grantSerial);
      stack.sandbox.fault('tencent', null);
      for (const r of during) {
        console.log(
          `[fault] postgres ${mode}: ${r.name} → HTTP ${r.status}, code ${String(r.code)}, ${r.ms} ms`,
        );
        assert.equal(r.status, 503, JSON.stringify(r));
        assert.equal(r.code, retryCode[r.name], JSON.stringify(r));
        assert.ok(r.ms <= BOUND_MS, `${r.name} took ${r.ms} ms (bound ${BOUND_MS})`);
      }
      const t0 = performance.now();
      const ready = await readyz(stack);
      console.log(
        `[fault] postgres ${mode}: /readyz → HTTP ${ready.status} ${JSON.stringify(ready.json)} in ${Math.round(performance.now() - t0)} ms`,
      );
      assert.equal(ready.status, 503);
      assert.equal(ready.json.store, 'postgres');
      await sleep(300);
      assert.equal(stack.running.outbox?.paused, true, 'the outbox worker pauses while the store is cut');

      relay.restore();
      const restored = performance.now();
      let after: Awaited<ReturnType<typeof traffic>> = [];
      for (let i = 0; i < 40; i++) {
        after = await traffic(stack, grantSerial);
        if (after.every((r) => r.status === 200)) break;
        await sleep(250);
      }
      for (const r of after) assert.equal(r.status, 200, `${r.name} after the restore: ${JSON.stringify(r)}`);
      console.log(
        `[fault] postgres ${mode}: every dialect answered 200 again ${Math.round(performance.now() - restored)} ms after the restore`,
      );
      assert.equal((await readyz(stack)).status, 200);
      const claims = await load.stop();
      const granted = claims.filter((c) => c.status === 200);
      const refused = claims.filter((c) => c.status !== 200);
      console.log(
        `[fault] postgres ${mode}: claims under load ${claims.length}: ${granted.length} granted, ${refused.length} refused 503/500000, slowest ${Math.max(...claims.map((c) => c.ms))} ms`,
      );
      for (const c of refused) assert.deepEqual([c.status, c.code], [503, 500000], JSON.stringify(c));
      for (const c of claims) assert.ok(c.ms <= BOUND_MS, JSON.stringify(c));
      assert.ok(refused.length > 0 && granted.length > 0, 'the cut landed in the traffic');
      // Nothing acknowledged that was not stored.
      for (const c of granted) {
        const coupon = await stack.running.rt.store.getCoupon({ couponId: c.couponId! });
        assert.equal(coupon?.state, 'available', `granted coupon ${c.couponId}`);
      }

      let delivered = false;
      for (let i = 0; i < 60 && !delivered; i++) {
        const items = await stack.running.rt.store.listOutbox({});
        delivered = items.some(
          (it) => (it.payload as any).coupon_id === held.couponId && it.state === 'delivered',
        );
        if (!delivered) await sleep(200);
      }
      assert.ok(delivered, 'the notification accepted before the cut is delivered after it');
      assert.equal(stack.running.outbox?.paused, false, 'the outbox worker resumed');
      assert.deepEqual(escaped.map(String), [], 'no error escaped (each would have ended the process)');
    });
  }
});
