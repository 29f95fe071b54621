/**
 * Notification kinds as mappings: the shipped notify mappings load apart from the routes, one per
 * kind@v; `couponbridge check` checks them (payload paths, outbound required fields, code tables)
 * and cross-checks every enqueueing branch against its kind's payload; producers can check
 * notifications before storing them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/commands/check';
import { CbError } from '../../src/errors';
import { loadMappings } from '../../src/mapping/load';
import { checkNotifications } from '../../src/outbox/enqueue';
import { notifyKinds, readerOf } from '../../src/outbox/kinds';
import { buildRouteTable } from '../../src/runtime';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { projectRoot } from '../../src/util/paths';
import { couponUsed } from './rig';

const shipped = join(projectRoot(), 'mappings');
const registry = loadSchemaRegistry();

function checkEdited(file: string, edit: (text: string) => string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cb-notify-'));
  cpSync(shipped, dir, { recursive: true });
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  const lines: string[] = [];
  assert.equal(
    runCheck(dir, (l) => lines.push(l)),
    1,
    'check fails',
  );
  return lines;
}

describe('notification kinds', () => {
  test('the shipped kinds each have one reader, none of them routed', () => {
    const set = loadMappings(shipped);
    assert.deepEqual([...notifyKinds(set).keys()].sort(), [
      'dianping.consume_coupon@1',
      'pyun.grant_sync_expire@1',
      'tencent.coupon_status_rsync@1',
      'tencent.stock_status_sync@1',
      'tencent.stock_sync@1',
    ]);
    const table = buildRouteTable(set);
    assert.ok(![...table.byId.keys()].some((id) => id.startsWith('notify.')));
    assert.match(
      String(readerOf(set, 'dianping.consume_coupon', 2)),
      /^no notify mapping reads dianping\.consume_coupon@2/,
    );
  });

  test('check reports a payload path the kind’s payload schema lacks', () => {
    const lines = checkEdited('notify-tencent-coupon-status-rsync.yaml', (t) =>
      t.replace('user_code: in.user_code', 'user_code: in.user'),
    );
    assert.ok(
      lines.some((l) =>
        /notify-tencent-coupon-status-rsync\.yaml:\d+: \/branches\/0\/fields\/user_code: source path in\.user: "user" is not a field of outbox\/tencent\.coupon_status_rsync\.v1/.test(
          l,
        ),
      ),
      lines.join('\n'),
    );
  });

  test('check reports an outbound required field a notify mapping does not produce', () => {
    const lines = checkEdited('notify-dianping-consume-coupon.yaml', (t) =>
      t.replace(/\n {6}orderId: in\.orderId/, ''),
    );
    assert.ok(
      lines.some((l) =>
        /required field "orderId" of dianping\/consume-coupon\.request is not produced/.test(l),
      ),
      lines.join('\n'),
    );
  });

  test('check reports a caller code in a notify code table, and a ledger path', () => {
    const lines = checkEdited('notify-pyun-grant-sync-expire.yaml', (t) =>
      t
        .replace("'1003': { retry: false,", "'1003': { code: 500000,")
        .replace('park_uuid: in.park_uuid', 'park_uuid: ledger.park_uuid'),
    );
    assert.ok(
      lines.some((l) => /\/answer\/codes\/1003: a notify mapping answers nobody/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /source path ledger\.park_uuid: a notify mapping reads its payload/.test(l)),
      lines.join('\n'),
    );
  });

  test('check refuses an inbound route on a notify mapping', () => {
    const lines = checkEdited(
      'notify-tencent-stock-rsync.yaml',
      (t) =>
        `${t}inbound: { dialect: tencent, path: /x, schema: tencent/stock-rsync.request, answer_schema: tencent/stock-rsync.response }\n`,
    );
    assert.ok(
      lines.some((l) =>
        /notify-tencent-stock-rsync\.yaml:\d+: \/inbound: not allowed in this kind of mapping/.test(l),
      ),
      lines.join('\n'),
    );
  });

  test('check reports two mappings for one kind@v', () => {
    const lines = checkEdited('notify-tencent-stock-status-rsync.yaml', (t) =>
      t.replace('kind: tencent.stock_status_sync', 'kind: tencent.stock_sync'),
    );
    assert.ok(
      lines.some((l) => /notification kind tencent\.stock_sync@1 already delivered by/.test(l)),
      lines.join('\n'),
    );
  });

  test('check cross-checks an enqueueing branch: the kind must exist and the fields match its payload', () => {
    const missing = checkEdited('pyun-notify-payment.yaml', (t) =>
      t.replace('kind: dianping.consume_coupon, v: 1', 'kind: dianping.consume_coupon, v: 3'),
    );
    assert.ok(
      missing.some((l) => /branch dianping: no notify mapping delivers dianping\.consume_coupon@3/.test(l)),
      missing.join('\n'),
    );
    const extra = checkEdited('pyun-notify-payment.yaml', (t) =>
      t.replace(/\n( +)coupon_status: \{ const: 2 \}/, '\n$1coupon_state: { const: 2 }'),
    );
    assert.ok(
      extra.some((l) =>
        /"coupon_state" is not a field of the tencent\.coupon_status_rsync@1 payload/.test(l),
      ),
      extra.join('\n'),
    );
    assert.ok(
      extra.some((l) =>
        /required field "coupon_status" of the tencent\.coupon_status_rsync@1 payload is not produced/.test(
          l,
        ),
      ),
      extra.join('\n'),
    );
  });

  test('checkNotifications accepts a valid notification and names what is wrong with others', () => {
    const rt = { table: buildRouteTable(loadMappings(shipped)), registry };
    checkNotifications(rt, [couponUsed()]);
    assert.throws(
      () => checkNotifications(rt, [{ ...couponUsed(), v: 2 }]),
      (e: unknown) =>
        e instanceof CbError &&
        e.code === 'CB_MAPPING_FAILED' &&
        /tencent\.coupon_status_rsync@2/.test(e.detail),
    );
    assert.throws(
      () => checkNotifications(rt, [couponUsed('tx', { coupon_status: 7 })]),
      (e: unknown) =>
        e instanceof CbError &&
        /tencent\.coupon_status_rsync@1 to tx: payload does not match .*coupon_status/.test(e.detail),
    );
  });
});
