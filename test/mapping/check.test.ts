import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/commands/check';
import { projectRoot } from '../../src/util/paths';

const shipped = join(projectRoot(), 'mappings');

function brokenCopy(edit: (file: string, text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-mappings-'));
  cpSync(shipped, dir, { recursive: true });
  const file = join(dir, 'tencent-coupon-status-rsync.yaml');
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

  test('flags unknown codes on both sides of a code table', () => {
    const dir = brokenCopy((_, t) => t.replace("'1405': { code: 500000,", "'1406': { code: 500001,"));
    const r = check(dir);
    assert.ok(r.lines.some((l) => /pyun code "1406" is not a known pyun answer code/.test(l)));
    assert.ok(r.lines.some((l) => /tencent code 500001 is not a known tencent code/.test(l)));
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
