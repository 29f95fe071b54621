/**
 * Losing an instance (issue 15), bounded for `npm test`: three couponbridge processes on one
 * PostgreSQL schema under claims, status syncs and P云 pushes; one is killed with SIGKILL while it
 * holds leased outbox rows and stays dead. The others take its rows over after the lease and
 * deliver each notification once under its original key; no claim is granted twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInstanceLoss } from '../crash/harness';
import { dropPgSchema, outboxProbe, pgAvailability, pgSchemaUrl } from '../support/pg';

const LEASE_MS = 2000;

test('three instances on PostgreSQL, one killed: its leased rows are delivered by the others, once, under their keys', async (t) => {
  const pg = await pgAvailability();
  if (pg.skip) return t.skip(pg.skip);
  const { url, schema } = pgSchemaUrl('cbloss');
  try {
    const r = await runInstanceLoss({
      store: url,
      instances: 3,
      runBeforeKillMs: 3000,
      runAfterKillMs: 3000,
      leaseMs: LEASE_MS,
      tencentDelayMs: 300,
      ...outboxProbe(schema),
      log: (l) => t.diagnostic(l),
    });
    console.log(JSON.stringify(r));
    assert.ok(r.claimsAcked > 0 && r.pushesAcked > 0 && r.redeemsAcked > 0, 'traffic flowed');
    assert.ok(r.leasedAtKill > 0, 'the killed instance held leased rows');
    assert.deepEqual(r.notTakenOver, [], 'every row it held was delivered by another instance');
    assert.equal(r.takenOverWithOriginalKey, r.leasedAtKill, 'under its original key');
    assert.deepEqual(r.takenOverBeforeLease, [], 'not before its lease had passed');
    assert.deepEqual(r.missingNotifications, []);
    assert.deepEqual(r.couponsWithSeveralKeys, []);
    assert.deepEqual(r.eventsGrantedTwice, [], 'no claim granted twice');
    assert.deepEqual(r.grantSerialsRedeemedTwice, []);
  } finally {
    await dropPgSchema(schema);
  }
});
