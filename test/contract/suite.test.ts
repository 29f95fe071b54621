/**
 * `couponbridge test` (src/contract/suite.ts) on copies of the shipped mappings: a changed outbound
 * value of a branch — a field's const, a field's source, a converter, a code row's caller code, a
 * branch condition — fails (exit 1) naming the case file, the line of the expected value and the
 * field as `expected → got`; `--update` rewrites only the expect blocks, keeping comments; a broken
 * case file or an unknown route is exit 2; `--route` runs one route's cases. The expected lines
 * are found in the case files' text, the values are literal.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { runSuite, type SuiteOptions } from '../../src/contract/suite';
import { projectRoot } from '../../src/util/paths';

const copies: string[] = [];
after(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

function copyMappings(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-contract-'));
  copies.push(dir);
  cpSync(join(projectRoot(), 'mappings'), dir, { recursive: true });
  return dir;
}

/** Replaces `from` (which must occur exactly once) in a file of `dir`. */
function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  assert.equal(text.split(from).length, 2, `${file} holds "${from}" once`);
  writeFileSync(path, text.replace(from, to));
}

async function run(o: SuiteOptions): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runSuite(o, (t) => (out += t));
  return { code, out };
}

/** `path:line` of the first line of a case file matching `pattern` (1-based), as the runner prints it. */
function lineOf(dir: string, caseFile: string, pattern: RegExp, after = 0): string {
  const path = join(dir, 'tests', caseFile);
  const lines = readFileSync(path, 'utf8').split('\n');
  const i = lines.findIndex((l, n) => n >= after && pattern.test(l));
  assert.ok(i >= 0, `${caseFile} has a line matching ${pattern}`);
  return `${relative(process.cwd(), path)}:${i + 1}`;
}

function lineIndex(dir: string, caseFile: string, pattern: RegExp): number {
  return readFileSync(join(dir, 'tests', caseFile), 'utf8')
    .split('\n')
    .findIndex((l) => pattern.test(l));
}

test('a changed field const fails the case that pins it, naming file:line and the field', async () => {
  const dir = copyMappings();
  edit(
    dir,
    'tencent-coupon-status-rsync.yaml',
    'status_desc: { const: 已过期 }',
    'status_desc: { const: 已作废 }',
  );
  const r = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(r.code, 1, r.out);
  const file = 'tencent.coupon-status-rsync/expire.yaml';
  assert.ok(
    r.out.includes(
      `  ${lineOf(dir, file, /^ {6}status_desc: 已过期$/)}: outbound.fields.status_desc: '已过期' → '已作废'\n`,
    ),
    r.out,
  );
  // the signature covers the changed field
  const sign = lineOf(dir, file, /^ {6}sign: /);
  assert.ok(r.out.includes(`  ${sign}: outbound.fields.sign: '538CEDFCBA6FCCAD4A77AAB940BD7C4A' → '`), r.out);
  assert.match(r.out, /^21 passed, 1 failed$/m);
});

test('a const the target schema refuses fails the case too: nothing is sent, the answer names the field', async () => {
  const dir = copyMappings();
  edit(dir, 'tencent-coupon-status-rsync.yaml', 'status: { const: -2 }', 'status: { const: -3 }');
  const r = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(r.code, 1, r.out);
  const file = 'tencent.coupon-status-rsync/expire.yaml';
  assert.ok(
    r.out.includes(`  ${lineOf(dir, file, /^ {4}method: POST$/)}: outbound: {"method":"POST"`),
    r.out,
  );
  assert.ok(r.out.includes(' → (absent)\n'), r.out);
  assert.ok(
    r.out.includes(
      `  ${lineOf(dir, file, /^ {6}message: successful$/)}: answer.body.message: 'successful' → 'message cannot be translated: the translated pyun/grant-sync-expire.request message is invalid: /status: must be equal to -2'\n`,
    ),
    r.out,
  );
});

test("a changed field source fails with the field's old and new value", async () => {
  const dir = copyMappings();
  edit(
    dir,
    'tencent-coupon-status-rsync.yaml',
    'apply_time: { from: in.usage_time, convert: to_utc, default_now: utc }',
    'apply_time: { from: in.event_time, convert: to_utc, default_now: utc }',
  );
  const r = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(r.code, 1, r.out);
  const at = lineOf(
    dir,
    'tencent.coupon-status-rsync/redeem.yaml',
    /^ {6}apply_time: 2024-03-01T02:15:30.120Z$/,
  );
  assert.ok(
    r.out.includes(
      `  ${at}: outbound.fields.apply_time: '2024-03-01T02:15:30.120Z' → '2024-03-01T02:15:31.000Z'\n`,
    ),
    r.out,
  );
});

test('a changed converter fails the case whose notification it writes', async () => {
  const dir = copyMappings();
  edit(
    dir,
    'pyun-notify-payment.yaml',
    'orderAmount: { from: ctx.order_amount_fen, convert: fen_to_yuan }',
    'orderAmount: { from: ctx.order_amount_fen, convert: string }',
  );
  const r = await run({ mappingsDir: dir, route: 'pyun.notify-payment' });
  assert.equal(r.code, 1, r.out);
  const at = lineOf(dir, 'pyun.notify-payment/dianping.yaml', /^ +orderAmount: "6.00"$/);
  assert.ok(r.out.includes(`  ${at}: outbox[0].payload.orderAmount: '6.00' → '600'\n`), r.out);
  assert.match(r.out, /^2 passed, 1 failed$/m);
});

test('a changed code row answer fails each variant that hits the row', async () => {
  const dir = copyMappings();
  edit(
    dir,
    'codes/pyun.yaml',
    "tencent: { code: 400220, message: 'P云 1002 车辆未入场: {upstream.message}' }",
    "tencent: { code: 400000, message: 'P云 1002 车辆未入场: {upstream.message}' }",
  );
  const r = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(r.code, 1, r.out);
  const variant = lineIndex(dir, 'tencent.coupon-status-rsync/redeem.yaml', /description: P云 1002$/);
  const at = lineOf(dir, 'tencent.coupon-status-rsync/redeem.yaml', /^ {10}code: 400220$/, variant);
  assert.match(r.out, /^FAIL \S+redeem\.yaml variants\[2\] \(P云 1002\): /m);
  assert.ok(r.out.includes(`  ${at}: answer.body.code: 400220 → 400000\n`), r.out);
  // only that variant: the other rows answer as before
  assert.match(r.out, /^21 passed, 1 failed$/m);
});

test('a changed branch condition fails the case of the branch and its coverage', async () => {
  const dir = copyMappings();
  edit(
    dir,
    'tencent-coupon-status-rsync.yaml',
    'when: { in.coupon_status: 3 }',
    'when: { in.coupon_status: 4 }',
  );
  const r = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(r.code, 1, r.out);
  const file = 'tencent.coupon-status-rsync/expire.yaml';
  assert.ok(r.out.includes(`  ${lineOf(dir, file, /^ {6}code: 0$/)}: answer.body.code: 0 → 400000\n`), r.out);
  assert.ok(
    r.out.includes(`  ${lineOf(dir, file, /^ {4}method: POST$/)}: outbound: {"method":"POST"`),
    r.out,
  );
  assert.ok(
    r.out.includes(
      `  ${lineOf(dir, file, /^ {6}state: expired$/)}: ledger[0].state: 'expired' → 'available'\n`,
    ),
    r.out,
  );
  assert.match(r.out, /^ {2}not exercised: branch expire$/m);
});

test('--update rewrites only the expect blocks, keeps comments, prints what changed; without it nothing is written', async () => {
  const dir = copyMappings();
  const file = join(dir, 'tests', 'tencent.coupon-status-rsync', 'expire.yaml');
  const original = readFileSync(file, 'utf8');
  const commented = original
    .replace('expect:\n', '# reviewed against protocols.md\nexpect:\n')
    .replace('      status_desc: 已过期\n', '      # the expire form\n      status_desc: 已过期\n');
  writeFileSync(file, commented);
  edit(
    dir,
    'tencent-coupon-status-rsync.yaml',
    'status_desc: { const: 已过期 }',
    'status_desc: { const: 已作废 }',
  );

  const failing = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(failing.code, 1);
  assert.equal(readFileSync(file, 'utf8'), commented, 'a run without --update writes nothing');

  const updated = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync', update: true });
  assert.equal(updated.code, 0, updated.out);
  assert.match(updated.out, /^UPDATE \S+expire\.yaml$/m);
  assert.match(updated.out, /expire\.yaml:\d+: outbound\.fields\.status_desc: '已过期' → '已作废'$/m);
  const after = readFileSync(file, 'utf8');
  assert.ok(after.includes('# reviewed against protocols.md\nexpect:\n'), after);
  assert.ok(after.includes('      # the expire form\n      status_desc: 已作废\n'), after);
  const before = parse(commented) as Record<string, unknown>;
  const now = parse(after) as Record<string, { outbound: { fields: Record<string, unknown> } }>;
  for (const key of Object.keys(before).filter((k) => k !== 'expect'))
    assert.deepEqual(now[key], before[key], key);
  assert.equal(now.expect.outbound.fields.status_desc, '已作废');
  assert.notEqual(now.expect.outbound.fields.sign, '538CEDFCBA6FCCAD4A77AAB940BD7C4A');
  // only the changed values: the lines outside the two changed fields are the same
  const diffLines = after.split('\n').filter((l, i) => l !== commented.split('\n')[i]);
  assert.equal(diffLines.length, 2, diffLines.join('\n'));

  const again = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(again.code, 0, again.out);
});

test('a case without an expect block fails until --update writes one, in the canonical order', async () => {
  const dir = copyMappings();
  const caseDir = join(dir, 'tests', 'tencent.sp-stock-query');
  writeFileSync(
    join(caseDir, 'unknown-stock.yaml'),
    [
      '# a stock nobody allowed the caller: 400201',
      'description: an unknown stock',
      'at: 2026-03-01T10:16:00+08:00',
      'inbound:',
      '  json: { stock_id: no-such-stock }',
      '',
    ].join('\n'),
  );
  const first = await run({ mappingsDir: dir, route: 'tencent.sp-stock-query' });
  assert.equal(first.code, 1);
  assert.match(first.out, /^FAIL \S+unknown-stock\.yaml: no expect block \(write it with --update\)$/m);
  const updated = await run({ mappingsDir: dir, route: 'tencent.sp-stock-query', update: true });
  assert.equal(updated.code, 0, updated.out);
  const text = readFileSync(join(caseDir, 'unknown-stock.yaml'), 'utf8');
  assert.ok(text.startsWith('# a stock nobody allowed the caller: 400201\n'), text);
  const doc = parse(text) as { expect: { answer: { status: number; body: { code: number } } } };
  assert.equal(doc.expect.answer.body.code, 400201);
  assert.deepEqual(Object.keys(doc.expect), ['answer']);
});

test('a broken case file is exit 2 with file:line; so is a case directory naming no route', async () => {
  const dir = copyMappings();
  const file = join(dir, 'tests', 'tencent.sp-stock-query', 'query.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('inbound:\n', 'inbund:\n'));
  const r = await run({ mappingsDir: dir });
  assert.equal(r.code, 2, r.out);
  const shown = relative(process.cwd(), file);
  assert.match(r.out, new RegExp(`^${shown.replace(/[.]/g, '[.]')}:\\d+: /inbund: unknown key$`, 'm'));
  assert.doesNotMatch(r.out, /passed/);

  writeFileSync(file, 'description: [unclosed\n');
  const syntax = await run({ mappingsDir: dir });
  assert.equal(syntax.code, 2);
  assert.ok(syntax.out.startsWith(`${shown}:`), syntax.out);

  const other = copyMappings();
  mkdirSync(join(other, 'tests', 'no.such-route'));
  const unknown = await run({ mappingsDir: other });
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /no-such-route|no\.such-route/);
  assert.match(unknown.out, /no route "no\.such-route"/);
});

test('--route runs one route and reports its coverage only; an unknown route is exit 2', async () => {
  const mappingsDir = join(projectRoot(), 'mappings');
  const r = await run({ mappingsDir, route: 'tencent.sp-stock-query' });
  assert.equal(r.code, 0, r.out);
  assert.equal(
    r.out,
    [
      'coverage tencent.sp-stock-query: branches 1/1, code rows 0/0',
      'coverage total: branches 1/1, code rows 0/0',
      '1 passed, 0 failed',
      '',
    ].join('\n'),
  );
  const bad = await run({ mappingsDir, route: 'tencent.no-such-route' });
  assert.equal(bad.code, 2);
  assert.match(bad.out, /^unknown route "tencent\.no-such-route" \(routes: /);
});

test('--require-full-coverage fails a directory whose cases leave a code row unexercised', async () => {
  const dir = copyMappings();
  const file = join(dir, 'tests', 'tencent.sp-coupon-receive', 'grant.yaml');
  const text = readFileSync(file, 'utf8');
  // drop the last variant (P云 unreachable)
  writeFileSync(file, text.slice(0, text.lastIndexOf('  - description: P云 unreachable')));
  const lenient = await run({ mappingsDir: dir, route: 'tencent.sp-coupon-receive' });
  assert.equal(lenient.code, 0, lenient.out);
  assert.match(lenient.out, /^ {2}not exercised: code row unreachable$/m);
  const strict = await run({
    mappingsDir: dir,
    route: 'tencent.sp-coupon-receive',
    requireFullCoverage: true,
  });
  assert.equal(strict.code, 1);
  assert.match(strict.out, /^coverage tencent\.sp-coupon-receive: branches 1\/1, code rows 19\/20$/m);
});

test('tests/config.yaml settings reach every case (grant_serial_fallback lets an unknown coupon through)', async () => {
  const dir = copyMappings();
  const caseDir = join(dir, 'tests', 'tencent.coupon-status-rsync');
  writeFileSync(
    join(caseDir, 'unknown-coupon.yaml'),
    [
      'description: a coupon the ledger does not hold',
      'at: 2024-03-01T10:16:00+08:00',
      'inbound:',
      '  json: { app_channel_id: 0, user_code: u-1, stock_id: cb-demo-001, coupon_id: C-NOT-HELD, coupon_status: 3 }',
      "upstream: { answer: { code: '1001', message: ok, seqno: s-1 } }",
      '',
    ].join('\n'),
  );
  await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync', update: true });
  const refused = parse(readFileSync(join(caseDir, 'unknown-coupon.yaml'), 'utf8')) as {
    expect: { outbound?: unknown; answer: { body: { code: number } } };
  };
  assert.equal(refused.expect.outbound, undefined, 'grant_serial_fallback: none sends nothing');
  assert.notEqual(refused.expect.answer.body.code, 0);

  const config = join(dir, 'tests', 'config.yaml');
  writeFileSync(config, `${readFileSync(config, 'utf8')}settings: { grant_serial_fallback: coupon_id }\n`);
  const r = await run({ mappingsDir: dir, route: 'tencent.coupon-status-rsync' });
  assert.equal(r.code, 1);
  assert.match(r.out, /unknown-coupon\.yaml:\d+: outbound: \(absent\) → \{"method":"POST"/);
  assert.match(r.out, /unknown-coupon\.yaml:\d+: answer\.body\.code: \d+ → 0$/m);
});
