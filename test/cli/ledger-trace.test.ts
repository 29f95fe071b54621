/**
 * Operator view of the ledger: a claimed coupon redeemed through T1 (grant_serial read from the
 * ledger), then `ledger show`, `ledger export --format csv` and `trace` through the real CLI on
 * the same SQLite file, with personal data masked and no signature or secret in the journal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseForm } from '../../src/dialects';
import { grantSerialFor } from '../../src/sandbox';
import { eventIdFor } from '../../src/mapping/converters';
import { projectRoot } from '../../src/util/paths';
import { creds, startStack, type Stack } from '../support/stack';

const db = join(mkdtempSync(join(tmpdir(), 'cb-ledger-')), 'cb.db');
let stack: Stack;
const requestId = randomUUID().replace(/-/g, '');
let couponId = '';

function cli(...args: string[]): string {
  return execFileSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), ...args, '--store', `sqlite:${db}`],
    {
      encoding: 'utf8',
    },
  );
}

before(async () => {
  stack = await startStack({ store: `sqlite:${db}` });
  const claim = await stack.tencent('/tencent/sp/coupon/receive', {
    app_channel_id: 0,
    user_code: 'ledger-user',
    mobile_phone: '13911112222',
    stock_id: 'cb-demo-001',
    request_id: requestId,
    extra: '{"plate":"粤B660PP"}',
  });
  assert.equal(claim.json.code, 0, claim.body);
  couponId = claim.json.data.coupon_id;
  const redeem = await stack.tencent('/tencent/coupon/status/rsync', {
    app_channel_id: 0,
    user_code: 'ledger-user',
    stock_id: 'cb-demo-001',
    coupon_id: couponId,
    coupon_status: 2,
    usage_time: '2024-03-01T10:15:30.120+08:00',
  });
  assert.equal(redeem.json.code, 0, redeem.body);
  await new Promise((r) => setTimeout(r, 200)); // journal writes follow the answers
});
after(async () => {
  await stack.close();
});

describe('ledger and trace commands', () => {
  test('T1 redeems a claimed coupon with the grant serial the ledger holds, and the ledger marks it used', async () => {
    const f = parseForm(
      stack.sandbox
        .requests({ target: 'pyun', path: '/gate/1.0/parking/internal/mcoupon/grant/sync' })
        .at(-1)!.body,
    );
    assert.equal(f.grant_serial, grantSerialFor(eventIdFor('sp-test', requestId)));
    assert.equal((await stack.running.rt.store.getCoupon({ couponId }))?.state, 'used');
    const again = await stack.tencent('/tencent/coupon/status/rsync', {
      app_channel_id: 0,
      user_code: 'u',
      stock_id: 'cb-demo-001',
      coupon_id: couponId,
      coupon_status: 2,
    });
    assert.equal(again.json.code, 0);
    const expire = await stack.tencent('/tencent/coupon/status/rsync', {
      app_channel_id: 0,
      user_code: 'u',
      stock_id: 'cb-demo-001',
      coupon_id: couponId,
      coupon_status: 3,
    });
    assert.equal(expire.json.code, 400212, 'a used coupon cannot expire');
  });

  test('ledger show prints the coupon and its history', () => {
    const out = cli('ledger', 'show', couponId);
    assert.match(out, /state +used/);
    assert.match(out, new RegExp(`grant_serial +${grantSerialFor(eventIdFor('sp-test', requestId))}`));
    assert.match(out, /∅ → pending/);
    assert.match(out, /pending → available/);
    assert.match(out, /available → used {2}by sp-test {2}exchange x/);
  });

  test('ledger export writes CSV with a header and the coupon', () => {
    const lines = cli('ledger', 'export', '--format', 'csv').trim().split('\n');
    assert.match(lines[0], /^id,state,partner,stock_id,coupon_id,grant_serial/);
    assert.ok(lines.some((l) => l.includes(couponId) && l.includes(',used,')));
  });

  test('trace finds the exchanges of a business key, masked and without secrets or signatures', () => {
    const out = cli('trace', requestId);
    assert.match(out, /route tencent\.sp-coupon-receive/);
    assert.match(out, /outcome success/);
    assert.match(out, /139\*\*\*\*2222/);
    assert.ok(!out.includes('13911112222'));
    assert.ok(!out.includes(creds.sp.secret) && !out.includes(creds.pyunUpstream.app_secret));
    assert.doesNotMatch(out, /sign=[0-9A-F]{32}/);
    assert.doesNotMatch(out, /"sign":"[0-9A-F]{32}"/);
    const byCoupon = cli('trace', couponId);
    assert.match(byCoupon, /route tencent\.coupon-status-rsync/);
  });
});
