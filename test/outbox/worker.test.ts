/**
 * The worker's own behaviour: wake-ups, per-destination concurrency, resuming after a restart
 * (its own stale leases released at once, other workers' left to expire), graceful stop, and a
 * quick drain-rate measurement against the sandbox.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { couponUsed, startRig, until, type Rig } from './rig';

/** A Tencent-speaking partner that answers success after `delayMs` and counts concurrent requests. */
interface SlowPartner {
  url: string;
  max: number;
  seen: number;
  close(): Promise<void>;
}

async function slowPartner(delayMs: number): Promise<SlowPartner> {
  let now = 0;
  const state = { max: 0, seen: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    now += 1;
    state.seen += 1;
    state.max = Math.max(state.max, now);
    setTimeout(() => {
      now -= 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0,"message":"successful"}');
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get max() {
      return state.max;
    },
    get seen() {
      return state.seen;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const partnerYaml = (id: string, key: string, url: string) =>
  `  - { id: ${id}, dialect: tencent, api_key: ${key}, secret: slow-partner-secret-01, notify: { base_url: "${url}" } }\n`;

let slowA: SlowPartner;
let slowB: SlowPartner;
let rig: Rig;
before(async () => {
  slowA = await slowPartner(60);
  slowB = await slowPartner(60);
  rig = await startRig({
    partners: () =>
      partnerYaml('slow-a', 'SLOWAKEY', slowA.url) + partnerYaml('slow-b', 'SLOWBKEY', slowB.url),
    outbox:
      '{ retry_schedule_ms: [50, 100, 200], jitter: 0, concurrency_per_destination: 2, poll_interval_ms: 20, lease_ms: 2000 }',
  });
});
after(async () => {
  await rig.close();
  await slowA.close();
  await slowB.close();
});

const row = (id: string) => rig.rt.store.getOutbox(id).then((r) => r!);
const allDelivered = async (ids: string[]) =>
  (await Promise.all(ids.map(row))).every((r) => r.state === 'delivered');

describe('outbox worker', () => {
  test('wake() delivers at once, without waiting for the poll interval', async () => {
    const w = rig.worker({ outbox: { poll_interval_ms: 60_000 } });
    await until(async () => (await rig.rt.store.listOutbox({ state: 'pending' })).length === 0);
    const item = await rig.enqueue(couponUsed());
    const t0 = Date.now();
    w.wake();
    await until(() => allDelivered([item.id]), 2000);
    assert.ok(Date.now() - t0 < 1000, `delivered ${Date.now() - t0} ms after wake`);
    await w.stop(1000);
  });

  test('never more than concurrency_per_destination deliveries to one destination, while another proceeds', async () => {
    const w = rig.worker();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push((await rig.enqueue(couponUsed('slow-a'))).id);
      ids.push((await rig.enqueue(couponUsed('slow-b'))).id);
    }
    w.wake();
    await until(() => allDelivered(ids), 10_000, 'all delivered');
    await w.stop(1000);
    assert.equal(slowA.seen, 8);
    assert.equal(slowB.seen, 8);
    assert.equal(slowA.max, 2, 'slow-a saw at most 2 at once, and the limit was reached');
    assert.equal(slowB.max, 2);
  });

  test('two workers share the per-destination limit', async () => {
    const before = slowA.seen;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await rig.enqueue(couponUsed('slow-a'))).id);
    const w1 = rig.worker();
    const w2 = rig.worker();
    await until(() => allDelivered(ids), 10_000, 'all delivered');
    await Promise.all([w1.stop(1000), w2.stop(1000)]);
    assert.equal(slowA.seen - before, 8, 'each row delivered once');
    assert.equal(slowA.max, 2);
  });

  test('a restarted worker resumes pending rows within one poll', async () => {
    const items = [await rig.enqueue(couponUsed()), await rig.enqueue(couponUsed())];
    const t0 = Date.now();
    const w = rig.worker({ outbox: { poll_interval_ms: 200 } });
    await until(() => allDelivered(items.map((i) => i.id)), 3000);
    assert.ok(Date.now() - t0 < 1000, `resumed after ${Date.now() - t0} ms`);
    await w.stop(1000);
  });

  test('a restart with the same stable worker id releases the leases its dead run held, at once', async () => {
    const item = await rig.enqueue(couponUsed());
    // A previous run of "host-a:8080" claimed the row for a minute and died.
    const claimed = await rig.rt.store.claimDue({
      now: new Date(),
      limit: 100,
      leaseMs: 60_000,
      workerId: 'host-a:8080',
      perDestinationLimit: 100,
    });
    assert.ok(claimed.some((c) => c.id === item.id));
    const other = rig.worker({ workerId: 'host-b:8080', poll: false });
    assert.equal(await other.drainOnce(), 0, 'another worker leaves an unexpired lease alone');
    assert.equal((await row(item.id)).state, 'leased');

    const restarted = rig.worker({ workerId: 'host-a:8080' });
    await until(() => allDelivered([item.id]), 2000);
    const done = await row(item.id);
    assert.equal(done.attempts, 2, 'the interrupted attempt counts');
    await Promise.all([other.stop(100), restarted.stop(1000)]);
  });

  test('a crashed worker’s rows are claimable again once lease_ms passed', async () => {
    const item = await rig.enqueue(couponUsed());
    await rig.rt.store.claimDue({
      now: new Date(),
      limit: 100,
      leaseMs: 300,
      workerId: 'crashed',
      perDestinationLimit: 100,
    });
    const w = rig.worker();
    await until(() => allDelivered([item.id]), 3000);
    await w.stop(1000);
  });

  test('stop() lets a delivery in flight finish and records it', async () => {
    const item = await rig.enqueue(couponUsed('slow-a'));
    const seen = slowA.seen;
    const w = rig.worker();
    await until(() => slowA.seen > seen, 2000, 'the partner got the request');
    await w.stop(2000);
    assert.equal((await row(item.id)).state, 'delivered');
  });

  test('stop() abandons deliveries still running after the grace period; another worker delivers them later', async () => {
    const slow = await slowPartner(800);
    const r = await startRig({
      partners: () => partnerYaml('slower', 'SLOWERKEY', slow.url),
      outbox:
        '{ retry_schedule_ms: [50], jitter: 0, concurrency_per_destination: 2, poll_interval_ms: 20, lease_ms: 1500 }',
    });
    try {
      await r.rt.store.enqueue([couponUsed('slower')]);
      const [item] = await r.rt.store.listOutbox({ destination: 'slower' });
      const w = r.worker();
      await until(() => slow.seen === 1, 2000, 'the partner got the request');
      const t0 = Date.now();
      await w.stop(50);
      assert.ok(Date.now() - t0 < 400, `stop took ${Date.now() - t0} ms`);
      await new Promise((res) => setTimeout(res, 900)); // the partner answers; nobody records it
      assert.equal((await r.rt.store.getOutbox(item.id))!.state, 'leased');
      const next = r.worker();
      await until(async () => (await r.rt.store.getOutbox(item.id))!.state === 'delivered', 4000);
      assert.equal(slow.seen, 2, 'delivered again with the same seq_id: at least once');
      await next.stop(2000);
    } finally {
      await r.close();
      await slow.close();
    }
  });

  test('drain rate to the sandbox (measured, reported as a diagnostic)', async (t) => {
    const n = 400;
    const r = await startRig({
      outbox:
        '{ retry_schedule_ms: [50], jitter: 0, concurrency_per_destination: 8, poll_interval_ms: 20, lease_ms: 5000 }',
    });
    try {
      const items = Array.from({ length: n }, (_, i) => couponUsed(i % 2 === 0 ? 'tx-notify' : 'tencent'));
      await r.rt.store.enqueue(items);
      const t0 = performance.now();
      r.worker();
      await until(async () => (await r.rt.store.listOutbox({ state: 'delivered' })).length === n, 30_000);
      const seconds = (performance.now() - t0) / 1000;
      t.diagnostic(
        `drained ${n} notifications in ${seconds.toFixed(2)} s: ${(n / seconds).toFixed(0)} deliveries/s`,
      );
      const seqs = r.sandbox.requests({ target: 'tencent' }).map((q) => q.fields?.seq_id);
      assert.equal(seqs.length, n);
      assert.equal(new Set(seqs).size, n, 'each delivered once');
    } finally {
      await r.close();
    }
  });
});

describe('outbox worker options', () => {
  test('refuses a non-positive limit at start', () => {
    assert.throws(() => rig.worker({ maxInFlight: 0 }), /maxInFlight must be a positive integer, got 0/);
    assert.throws(
      () => rig.worker({ outbox: { concurrency_per_destination: 1.5 } }),
      /concurrency_per_destination must be a positive integer/,
    );
  });
});
