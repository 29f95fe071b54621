/**
 * The cap on calls in flight per upstream (upstreams.<name>.max_in_flight): a call beyond it is
 * refused at once with CB_UPSTREAM_BUSY, never queued; a slow P云 under a steady Tencent load
 * keeps at most the cap waiting, and the excess gets Tencent's 500000 / HTTP 503 at once.
 * The in-suite run lasts 3 s; `npm run slow-upstream` runs the same for a minute.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CbError } from '../../src/errors';
import { createHttpClient } from '../../src/http/client';
import { createInFlightLimit } from '../../src/http/in-flight';
import { runSlowUpstream } from '../support/slow-upstream';

const busy = (e: unknown) => e instanceof CbError && e.code === 'CB_UPSTREAM_BUSY';

describe('in-flight cap per upstream', () => {
  test('gives out max slots, refuses the next with CB_UPSTREAM_BUSY, and takes each back once', () => {
    const limit = createInFlightLimit('pyun', 2);
    const a = limit.acquire('POST /a');
    const b = limit.acquire('POST /b');
    assert.throws(
      () => limit.acquire('POST /c'),
      (e: unknown) => busy(e) && /max_in_flight/.test((e as CbError).detail),
    );
    a();
    a(); // a second release must not free b's slot
    assert.equal(limit.current, 1);
    const c = limit.acquire('POST /c');
    assert.throws(() => limit.acquire('POST /d'), busy);
    b();
    c();
    assert.equal(limit.current, 0);
    assert.throws(() => createInFlightLimit('pyun', 0), /positive integer/);
  });

  test('the client refuses a call beyond the cap at once and frees the slot when a call ends, failed or not', async () => {
    const held: Array<() => void> = [];
    const server = createServer((req, res) => {
      if (req.url === '/fail') {
        req.socket.destroy();
        return;
      }
      held.push(() => res.end('{}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const inFlight = createInFlightLimit('pyun', 2);
    const client = createHttpClient({ baseUrl: base, timeoutMs: 5000, inFlight });
    try {
      const calls = [1, 2].map(() => client.send({ method: 'POST', path: '/slow', headers: {}, body: '{}' }));
      while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
      assert.equal(inFlight.current, 2);
      await assert.rejects(client.send({ method: 'POST', path: '/slow', headers: {}, body: '{}' }), busy);
      for (const release of held) release();
      await Promise.all(calls);
      assert.equal(inFlight.current, 0);
      await assert.rejects(client.send({ method: 'POST', path: '/fail', headers: {}, body: '{}' }));
      assert.equal(inFlight.current, 0, 'a failed call gives its slot back');
    } finally {
      await client.close();
      server.closeAllConnections();
      server.close();
    }
  });

  test(
    'a slow P云 under a steady Tencent load: at most the cap waits, the excess is refused 503/500000 at once',
    { timeout: 60_000 },
    async () => {
      const o = { seconds: 3, ratePerSecond: 100, maxInFlight: 16, delayMs: 1000, timeoutMs: 2000 };
      const r = await runSlowUpstream(o);
      console.log(`[fault] slow P云 ${JSON.stringify(o)} → ${JSON.stringify(r)}`);
      assert.deepEqual(
        Object.keys(r.answers).sort(),
        ['HTTP 200 code 0', 'HTTP 503 code 500000'],
        `only successes and busy refusals: ${JSON.stringify(r.answers)}`,
      );
      assert.equal(r.maxInFlightSeen, o.maxInFlight, 'the cap was reached and never passed');
      const refused = r.answers['HTTP 503 code 500000'];
      assert.ok(refused > r.sent / 2, `most of the load is refused: ${refused} of ${r.sent}`);
      // Refused, not queued: every call that reached P云 was answered by it, none of the refused did.
      assert.equal(r.reachedPyun, r.answers['HTTP 200 code 0']);
      // P云 saw at most the cap per slow period (plus the one in progress at the end).
      assert.ok(
        r.reachedPyun <= o.maxInFlight * ((o.seconds * 1000) / o.delayMs + 1),
        `P云 received ${r.reachedPyun}`,
      );
    },
  );
});
