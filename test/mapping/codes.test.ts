/**
 * Shared code tables (mappings/codes/*.yaml): a row is read by every mapping naming the table, for
 * its own caller dialect; a mapping's own entry replaces the row.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMappings, type MappingSet } from '../../src/mapping/load';
import { projectRoot } from '../../src/util/paths';

const shipped = join(projectRoot(), 'mappings');

function copyWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-codes-'));
  cpSync(shipped, dir, { recursive: true });
  const text = readFileSync(join(dir, file), 'utf8');
  const edited = edit(text);
  assert.notEqual(edited, text, `the edit changes ${file}`);
  writeFileSync(join(dir, file), edited);
  return dir;
}

function load(dir: string): MappingSet {
  const { set, problems } = readMappings(dir);
  assert.deepEqual(problems, []);
  return set;
}

/** Every mapping and notify mapping by id. */
function byId(set: MappingSet) {
  return new Map([...set.mappings, ...set.notify].map((m) => [m.doc.id, m]));
}

const usersOfPyun = [
  'dianping.consume-coupon',
  'dianping.consume-core-coupon',
  'dianping.consume-coupon-order',
  'tencent.coupon-status-rsync',
  'tencent.coupon-rsync',
  'tencent.sp-coupon-receive',
  'notify.pyun.grant-sync-expire.v1',
];
const vars = { upstream: { code: '1405', message: 'park offline', hint: '' }, http: { status: 200 } };

describe('shared code tables', () => {
  test('the shipped P云 table is read by the seven mappings that call P云', () => {
    const set = load(shipped);
    const users = [...set.mappings, ...set.notify]
      .filter((m) => m.codeSources.table?.name === 'pyun')
      .map((m) => m.doc.id)
      .sort();
    assert.deepEqual(users, [...usersOfPyun].sort());
  });

  test('each caller dialect reads its own answer from one row', () => {
    const m = byId(load(shipped));
    const dianping = m.get('dianping.consume-coupon')!.compiled.code('1002')!;
    const tencent = m.get('tencent.coupon-status-rsync')!.compiled.code('1002')!;
    const notify = m.get('notify.pyun.grant-sync-expire.v1')!.compiled.code('1405')!;
    assert.equal(dianping.code, '3009016');
    assert.equal(dianping.render({ upstream: { message: 'x' } }), 'P云 1002 未找到: x');
    assert.equal(tencent.code, 400220);
    assert.equal(tencent.render({ upstream: { message: 'x' } }), 'P云 1002 车辆未入场: x');
    assert.equal(notify.code, undefined);
    assert.equal(notify.retry, true);
    // Dianping's own retry decision on a credentials refusal, Tencent's the row's outcome
    assert.equal(m.get('dianping.consume-coupon')!.compiled.code('1401')!.retry, true);
    assert.equal(m.get('tencent.coupon-rsync')!.compiled.code('1401')!.retry, false);
    assert.equal(m.get('tencent.coupon-rsync')!.compiled.code('timeout')!.status, 504);
  });

  test('changing one row changes the answer of every mapping that uses the table', () => {
    const dir = copyWith('codes/pyun.yaml', (t) =>
      t
        .replace(
          "message: 'P云 1405 车场下发失败: {upstream.message}'",
          "message: 'P云 1405 park down: {upstream.message}'",
        )
        .replace(
          "dianping: { code: '3009014' }\n      tencent: { code: 500000 }\n  '1500'",
          "dianping: { code: '3009016' }\n      tencent: { code: 400220 }\n  '1500'",
        ),
    );
    const before = byId(load(shipped));
    const after = byId(load(dir));
    for (const id of usersOfPyun) {
      const old = before.get(id)!.compiled.code('1405')!;
      const now = after.get(id)!.compiled.code('1405')!;
      assert.equal(old.render(vars), 'P云 1405 车场下发失败: park offline', id);
      assert.equal(now.render(vars), 'P云 1405 park down: park offline', id);
    }
    assert.equal(before.get('dianping.consume-coupon')!.compiled.code('1405')!.code, '3009014');
    assert.equal(after.get('dianping.consume-coupon')!.compiled.code('1405')!.code, '3009016');
    assert.equal(after.get('tencent.sp-coupon-receive')!.compiled.code('1405')!.code, 400220);
    // a mapping that does not use the table is untouched
    assert.equal(
      after.get('notify.tencent.coupon-status-rsync.v1')!.compiled.code('500000')!.render(vars),
      'Tencent 500000: park offline',
    );
  });

  test("a mapping's own entry wins over the table's row, and only for that mapping", () => {
    const m = byId(load(shipped));
    const claim = m.get('tencent.sp-coupon-receive')!.compiled.code('1401')!;
    const sync = m.get('tencent.coupon-status-rsync')!.compiled.code('1401')!;
    const withHint = { upstream: { message: 'no config', hint: 'api_store_code' } };
    assert.equal(claim.render(withHint), 'P云 1401 第三方优惠配置不存在/签名错误: no config api_store_code');
    assert.equal(sync.render(withHint), 'P云 1401 refused couponbridge credentials: no config');
    // the expire notification: a redeemed grant cannot expire — final, whatever the table says of 1003
    const expire = m.get('notify.pyun.grant-sync-expire.v1')!.compiled.code('1003')!;
    assert.equal(
      expire.render({ upstream: { message: 'used' } }),
      'P云 1003 (redeemed, cannot expire): used',
    );
    assert.equal(m.get('notify.pyun.grant-sync-expire.v1')!.compiled.code('1403')!.success, undefined);
    assert.equal(m.get('tencent.coupon-status-rsync')!.compiled.code('1403')!.success, true);

    // an override added in a copy replaces the row for that mapping only
    const dir = copyWith('dianping-consume-coupon.yaml', (t) =>
      t.replace(
        'codes_from: pyun\n',
        "codes_from: pyun\n  codes:\n    '1405': { code: '3009013', message: 'local: {upstream.message}' }\n",
      ),
    );
    const edited = byId(load(dir));
    const local = edited.get('dianping.consume-coupon')!.compiled.code('1405')!;
    assert.equal(local.code, '3009013');
    assert.equal(local.render(vars), 'local: park offline');
    assert.equal(local.retry, undefined);
    assert.equal(edited.get('dianping.consume-core-coupon')!.compiled.code('1405')!.code, '3009014');
  });
});
