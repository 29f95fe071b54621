/**
 * What a request costs the event loop on SQLite (issue 18): the statements and transactions T1
 * (status sync) and T2 (claim) run on the store's main connection, counted at better-sqlite3's
 * statement methods in this thread. With the write thread (the default for a file store) the nonce
 * and the journal are not among them, and a claim's grant and its idempotency answer are one
 * transaction. The outbox worker's claims (their own transactions) are left out. A change that
 * adds a statement or a transaction to these requests shows up here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { claimCoupon, startStack, statusSyncFields, type Stack } from '../support/stack';

type Method = (...a: unknown[]) => unknown;
const statementProto = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as Record<
  string,
  Method
>;
let ran: string[] = [];
const originals = new Map<string, Method>();

/** The statements of the request, outbox transactions dropped; `transactions` counts BEGINs. */
function request(): { statements: string[]; transactions: number } {
  const kept: string[] = [];
  let open: string[] | undefined;
  for (const source of ran) {
    if (/^BEGIN/.test(source)) open = [source];
    else if (open) {
      open.push(source);
      if (/^(COMMIT|ROLLBACK)/.test(source)) {
        if (!open.some((s) => /outbox/i.test(s))) kept.push(...open);
        open = undefined;
      }
    } else if (!/outbox/i.test(source)) kept.push(source);
  }
  ran = [];
  return { statements: kept, transactions: kept.filter((s) => /^BEGIN/.test(s)).length };
}

describe('statements per request on the event loop (SQLite file, write thread on)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-statements-'));
  let stack: Stack;
  before(async () => {
    stack = await startStack({ store: `sqlite:${join(dir, 'cb.db')}` });
    for (const m of ['run', 'get', 'all', 'iterate']) {
      const original = statementProto[m];
      originals.set(m, original);
      statementProto[m] = function (this: { source: string }, ...a: unknown[]) {
        ran.push(this.source.trim());
        return original.apply(this, a);
      };
    }
  });
  after(async () => {
    for (const [m, original] of originals) statementProto[m] = original;
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('T2 claim: 17 statements in 3 transactions (idempotency begin, reservation, grant + answer)', async () => {
    assert.ok(stack.running.writes?.running(), 'the write thread is on');
    ran = [];
    await claimCoupon(stack);
    const { statements, transactions } = request();
    // the last one is claimCoupon's own read of the granted coupon, after the answer
    assert.match(statements.at(-1) ?? '', /WHERE coupon_id = :coupon_id/);
    assert.equal(transactions, 3, statements.join('\n'));
    assert.equal(statements.length - 1, 17, statements.join('\n'));
    assert.ok(!statements.some((s) => /nonces|exchanges/.test(s)), 'nonce and journal are on the thread');
  });

  test('T1 status sync of a known coupon: 6 statements in 1 transaction (lookup, transition)', async () => {
    const { couponId } = await claimCoupon(stack);
    ran = [];
    const r = await stack.tencent('/tencent/coupon/status/rsync', statusSyncFields(couponId, 2));
    assert.equal(r.json?.code, 0, r.body);
    const { statements, transactions } = request();
    assert.equal(transactions, 1, statements.join('\n'));
    assert.equal(statements.length, 6, statements.join('\n'));
    assert.ok(!statements.some((s) => /nonces|exchanges/.test(s)), 'nonce and journal are on the thread');
  });

  test('T1 status sync of an unknown coupon: 2 lookups, no transaction', async () => {
    ran = [];
    const fields = { ...statusSyncFields(`C${randomUUID().slice(0, 8)}`, 2) };
    await stack.tencent('/tencent/coupon/status/rsync', fields);
    const { statements, transactions } = request();
    assert.equal(transactions, 0, statements.join('\n'));
    assert.equal(statements.length, 2, statements.join('\n'));
  });
});
