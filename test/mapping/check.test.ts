import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/commands/check';
import { projectRoot } from '../../src/util/paths';

const shipped = join(projectRoot(), 'mappings');

function brokenCopy(
  edit: (file: string, text: string) => string,
  name = 'tencent-coupon-status-rsync.yaml',
): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-mappings-'));
  cpSync(shipped, dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, edit(file, readFileSync(file, 'utf8')));
  return dir;
}

function check(dir: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runCheck(dir, (l) => lines.push(l));
  return { code, lines };
}

describe('couponbridge check', () => {
  test('passes on the shipped mappings', () => {
    const r = check(shipped);
    assert.equal(r.code, 0, r.lines.join('\n'));
    assert.match(r.lines.at(-1)!, /^ok: \d+ mappings checked/);
  });

  test('flags a source path that is not in the inbound schema, with file and line', () => {
    const dir = brokenCopy((_, t) =>
      t.replace('from: in.usage_time, convert: to_utc', 'from: in.usage_tiem, convert: to_utc'),
    );
    const r = check(dir);
    assert.equal(r.code, 1);
    const line = r.lines.find((l) => l.includes('usage_tiem'));
    assert.ok(line, r.lines.join('\n'));
    assert.match(
      line,
      /tencent-coupon-status-rsync\.yaml:\d+: \/branches\/0\/fields\/apply_time: source path in\.usage_tiem: "usage_tiem" is not a field of tencent\/coupon-status-rsync\.request/,
    );
    const lineNo = Number(/\.yaml:(\d+):/.exec(line)![1]);
    const text = readFileSync(join(dir, 'tencent-coupon-status-rsync.yaml'), 'utf8').split('\n');
    assert.match(text[lineNo - 1], /apply_time/);
  });

  test('flags a required target field that is not produced', () => {
    const dir = brokenCopy((_, t) => t.replace(/\n {6}apply_value: .*\n/, '\n'));
    const r = check(dir);
    assert.ok(
      r.lines.some((l) =>
        /required field "apply_value" of pyun\/grant-sync-redeem\.request is not produced/.test(l),
      ),
      r.lines.join('\n'),
    );
  });

  test('flags unknown codes on both sides of a shared code table, at the row', () => {
    const dir = brokenCopy((_, t) => {
      const edited = t
        .replace("'1405':", "'1406':")
        .replace("tencent: { code: 500000 }\n  '1500':", "tencent: { code: 500001 }\n  '1500':");
      assert.notEqual(edited, t);
      return edited;
    }, 'codes/pyun.yaml');
    const r = check(dir);
    assert.ok(
      r.lines.some((l) =>
        /codes\/pyun\.yaml:\d+: \/codes\/1406: pyun code "1406" is not a known pyun answer code/.test(l),
      ),
      r.lines.join('\n'),
    );
    assert.ok(
      r.lines.some((l) =>
        /codes\/pyun\.yaml:\d+: \/codes\/1406\/callers\/tencent\/code: tencent code 500001 is not a known tencent code \(read by .*tencent-sp-coupon-receive\.yaml\)/.test(
          l,
        ),
      ),
      r.lines.join('\n'),
    );
  });

  test('flags an unknown caller code in a local override, in the mapping', () => {
    const dir = brokenCopy(
      (_, t) => t.replace("'403': { code: 400220,", "'403': { code: 400299,"),
      'tencent-sp-coupon-receive.yaml',
    );
    const r = check(dir);
    assert.ok(
      r.lines.some((l) =>
        /tencent-sp-coupon-receive\.yaml:\d+: \/answer\/codes\/403\/code: tencent code 400299 is not a known tencent code/.test(
          l,
        ),
      ),
      r.lines.join('\n'),
    );
  });

  test('reports a code the upstream dialect knows but a used table lacks, in every mapping using it', () => {
    const dir = brokenCopy((_, t) => {
      const edited = t.replace(/\n {2}'1402':\n( {4}.*\n)+?(?= {2}'1405')/, '\n');
      assert.notEqual(edited, t);
      return edited;
    }, 'codes/pyun.yaml');
    const r = check(dir);
    assert.equal(r.code, 1);
    const missing = r.lines.filter((l) =>
      /\/answer\/codes_from: pyun code 1402 known to the pyun dialect is absent from this mapping's code table \(codes_from: pyun/.test(
        l,
      ),
    );
    // the three Dianping consumes, both Tencent coupon syncs, the claim, the expire notification
    assert.equal(missing.length, 7, r.lines.join('\n'));
  });

  test('reports an unknown code table and a table of another dialect than the target', () => {
    const unknown = check(brokenCopy((_, t) => t.replace('codes_from: pyun', 'codes_from: pyunn')));
    assert.ok(
      unknown.lines.some((l) =>
        /tencent-coupon-status-rsync\.yaml:\d+: \/answer\/codes_from: no code table "pyunn" \(known: dianping, pyun, tencent/.test(
          l,
        ),
      ),
      unknown.lines.join('\n'),
    );
    const other = check(brokenCopy((_, t) => t.replace('codes_from: pyun', 'codes_from: tencent')));
    assert.ok(
      other.lines.some((l) =>
        /\/answer\/codes_from: code table tencent holds tencent codes, but this mapping's target is pyun/.test(
          l,
        ),
      ),
      other.lines.join('\n'),
    );
  });

  test('reports a declared idempotency key or claimed field that the inbound message lacks', () => {
    const r = check(
      brokenCopy(
        (_, t) =>
          t
            .replace('idempotency_key: orderId', 'idempotency_key: orderNo')
            .replace('claims: { each: couponCode,', 'claims: { each: couponCodes,'),
        'dianping-consume-coupon.yaml',
      ),
    );
    assert.ok(
      r.lines.some((l) =>
        /dianping-consume-coupon\.yaml:\d+: \/inbound\/idempotency_key: "orderNo" is not a field of dianping\/consume-coupon\.request/.test(
          l,
        ),
      ),
      r.lines.join('\n'),
    );
    assert.ok(
      r.lines.some((l) =>
        /\/inbound\/claims\/each: "couponCodes" is not a field of dianping\/consume-coupon\.request/.test(l),
      ),
      r.lines.join('\n'),
    );
  });

  test('reports a declared refusal that is not a catalog code', () => {
    const r = check(
      brokenCopy((_, t) =>
        t.replace(
          'refusals: [CB_COUPON_NOT_FOUND, CB_ILLEGAL_TRANSITION]',
          'refusals: [CB_COUPON_NOT_FOUND, CB_COUPON_UNKNOWN]',
        ),
      ),
    );
    assert.equal(r.code, 1);
    assert.ok(
      r.lines.some((l) =>
        /tencent-coupon-status-rsync\.yaml:\d+: \/inbound\/refusals\/1: "CB_COUPON_UNKNOWN" is not an error code of the catalog/.test(
          l,
        ),
      ),
      r.lines.join('\n'),
    );
  });

  test('validates a code table against its meta-schema', () => {
    const r = check(
      brokenCopy(
        (_, t) => t.replace("'1001': { outcome: success }", "'1001': { outcome: fine }"),
        'codes/pyun.yaml',
      ),
    );
    assert.ok(
      r.lines.some((l) =>
        /codes\/pyun\.yaml:\d+: \/codes\/1001\/outcome: must be one of "success", "retry", "terminal"/.test(
          l,
        ),
      ),
      r.lines.join('\n'),
    );
    // reported once, at the table: not again as a missing table or as every code it would hold
    assert.ok(
      r.lines.every((l) => /codes\/pyun\.yaml:/.test(l)),
      r.lines.join('\n'),
    );
  });

  test('flags unknown keys, unknown converters and YAML syntax errors against the meta-schema', () => {
    const a = check(
      brokenCopy((_, t) =>
        t
          .replace('flow: translate', 'flow: translate\nbogus: 1')
          .replace('convert: to_utc', 'convert: to_mars'),
      ),
    );
    assert.ok(
      a.lines.some((l) => /:\d+: \/bogus: unknown key/.test(l)),
      a.lines.join('\n'),
    );
    assert.ok(
      a.lines.some((l) => /convert: must be one of/.test(l)),
      a.lines.join('\n'),
    );
    const b = check(brokenCopy((_, t) => t.replace('branches:', 'branches: [')));
    assert.equal(b.code, 1);
    assert.match(b.lines[0], /tencent-coupon-status-rsync\.yaml:\d+: /);
  });

  test('flags ledger, stock and ctx paths that do not exist', () => {
    const r = check(
      brokenCopy((_, t) =>
        t
          .replace('ledger.park_uuid, stock.park_uuid', 'ledger.parking, stock.parc_uuid')
          .replace('park_uuid: ctx.park_uuid', 'park_uuid: ctx.parq'),
      ),
    );
    assert.ok(r.lines.some((l) => /ledger records have no "parking"/.test(l)));
    assert.ok(r.lines.some((l) => /stock entries have no "parc_uuid"/.test(l)));
    assert.ok(r.lines.some((l) => /no var "parq"/.test(l)));
  });
});
