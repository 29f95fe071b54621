/** outbox.destinations overrides the retry schedule for one destination only. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { couponUsed, startRig, until, type Rig } from './rig';

let rig: Rig;
before(async () => {
  rig = await startRig({
    outbox:
      '{ retry_schedule_ms: [60000], jitter: 0, concurrency_per_destination: 4, poll_interval_ms: 20, lease_ms: 2000, destinations: { tx-notify: { retry_schedule_ms: [30, 30] } } }',
  });
});
after(() => rig.close());

describe('per-destination retry schedule', () => {
  test('a destination with its own short schedule goes dead after it; the global schedule still applies elsewhere', async () => {
    rig.sandbox.fault('tencent', { mode: 'http', status: 503, body: 'down', path: '/coupon/status/rsync' });
    const worker = rig.worker();
    const fast = await rig.enqueue(couponUsed('tx-notify'));
    const slow = await rig.enqueue(couponUsed('tencent'));
    worker.wake();
    await until(
      async () => (await rig.rt.store.getOutbox(fast.id))!.state === 'dead',
      3000,
      'tx-notify row dead',
    );
    const f = (await rig.rt.store.getOutbox(fast.id))!;
    assert.equal(f.attempts, 3, 'first attempt + the two entries of its own schedule');
    const s = (await rig.rt.store.getOutbox(slow.id))!;
    assert.equal(s.state, 'pending', 'the tencent destination waits 60 s before its first retry');
    assert.equal(s.attempts, 1);
    rig.sandbox.fault('tencent', null);
  });
});
