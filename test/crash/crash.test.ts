/** The bounded crash test run by `npm test` (the full one: `npm run crash-test -- --kills 20`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashTest } from './harness';

test(
  'kill -9 at random moments loses nothing acknowledged and delivers nothing twice with a new key',
  { timeout: 120_000 },
  async () => {
    const r = await runCrashTest({ kills: 3, killEveryMs: [400, 1200] });
    console.log(JSON.stringify(r));
    assert.ok(r.pushesAcked > 0 && r.claimsAcked > 0, 'traffic flowed');
    assert.deepEqual(r.missingNotifications, []);
    assert.deepEqual(r.couponsWithSeveralKeys, []);
    assert.deepEqual(r.grantSerialsRedeemedTwice, []);
    assert.deepEqual(r.eventsGrantedTwice, []);
  },
);
