/**
 * The schema-generated contract checks (src/contract/generated-checks.ts) on the shipped mappings
 * with a fixed seed, and proof that they catch a broken branch and a loosened schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatGeneratedReport, runGeneratedChecks } from '../../src/contract/generated-checks';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { projectRoot } from '../../src/util/paths';
import { register } from '../../src/cli/commands/test';
import { runCli } from '../support/cli';

const shipped = join(projectRoot(), 'mappings');
const SEED = 20261201;

/** Routes answered from couponbridge's own state: no upstream call, ever. */
const NO_UPSTREAM = ['dianping.consume-extend-coupon', 'tencent.sp-stock-query'];

function copyOf(dir: string, file: string, edit: (text: string) => string): string {
  const copy = mkdtempSync(join(tmpdir(), 'cb-generated-'));
  cpSync(dir, copy, { recursive: true });
  const path = join(copy, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, `the edit of ${file} changed nothing`);
  writeFileSync(path, after);
  return copy;
}

test('the shipped mappings pass the generated checks: valid messages reach the upstream, near-misses are refused', async () => {
  const result = await runGeneratedChecks({ mappingsDir: shipped, runs: 30, seed: SEED });
  const report = formatGeneratedReport(result);
  assert.equal(result.seed, SEED);
  assert.equal(result.routes.length, 13, report);
  for (const r of result.routes) {
    assert.equal(r.failure, undefined, report);
    const valid = r.generated.valid + r.generated.boundary;
    assert.ok(valid > 0 && r.generated.nearMiss > 0, `${r.route}\n${report}`);
    if (NO_UPSTREAM.includes(r.route)) assert.ok(r.answered > 0, `${r.route} answered nothing\n${report}`);
    else assert.ok(r.reachedUpstream > 0, `${r.route} never reached the upstream\n${report}`);
    assert.equal(r.nearMissesRefused, r.generated.nearMiss, `${r.route}\n${report}`);
  }
  assert.match(report, /^generated contract checks: 30 messages per route, seed 20261201$/m);
});

test('the same seed gives the same report', async () => {
  const once = () =>
    runGeneratedChecks({ mappingsDir: shipped, runs: 25, seed: 7, routes: ['tencent.sp-coupon-receive'] });
  assert.deepEqual(await once(), await once());
});

test('a branch whose outbound field is invalid against its target schema is a failure naming the route and the field', async () => {
  // status_time in Beijing time: the P云 redeem schema wants UTC ending in Z
  const dir = copyOf(shipped, 'tencent-coupon-status-rsync.yaml', (t) =>
    t.replace(
      'status_time: { from: in.event_time, convert: to_utc,',
      'status_time: { from: in.event_time, convert: to_cst,',
    ),
  );
  const result = await runGeneratedChecks({
    mappingsDir: dir,
    runs: 60,
    seed: SEED,
    routes: ['tencent.coupon-status-rsync'],
  });
  const [r] = result.routes;
  const report = formatGeneratedReport(result);
  assert.ok(r.failure, report);
  assert.notEqual(r.failure.kind, 'near-miss');
  assert.match(r.failure.reason, /status_time/);
  assert.match(report, /✗ tencent\.coupon-status-rsync/);
  assert.match(report, /FAILED at message \d+: (valid|boundary) message, seeded/);
  assert.match(
    report,
    /reproduce: couponbridge test --generate 60 --seed 20261201 --route tencent\.coupon-status-rsync/,
  );
  // the shrunk counterexample is the message: a redeem (status 2) or expire (status 3)
  assert.ok([2, 3].includes(r.failure.message.fields.coupon_status as number), report);
});

test('a runtime schema loosened so that a near-miss is accepted is a failure naming what the near-miss breaks', async () => {
  const schemas = copyOf(join(projectRoot(), 'schemas'), 'tencent/stock-query.request.schema.json', (t) =>
    t.replace('"maxLength": 30,', ''),
  );
  const result = await runGeneratedChecks({
    mappingsDir: shipped,
    runs: 80,
    seed: SEED,
    routes: ['tencent.sp-stock-query'],
    runtimeRegistry: loadSchemaRegistry(schemas),
  });
  const [r] = result.routes;
  assert.ok(r.failure, formatGeneratedReport(result));
  assert.equal(r.failure.kind, 'near-miss');
  assert.equal(r.failure.message.breaks, 'stock_id: maxLength 30 exceeded');
  assert.match(r.failure.reason, /not CB_SCHEMA_INVALID \(HTTP 400, code 400000\)/);
});

test('couponbridge test --generate N --seed S prints the report; a bad N is bad usage', async () => {
  const run = (args: string[]) => runCli([register], ['test', ...args]);
  const ok = await run(['--route', 'tencent.sp-stock-query', '--generate', '8', '--seed', '3']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^generated contract checks: 8 messages per route, seed 3$/m);
  assert.match(ok.stdout, /^✓ tencent\.sp-stock-query: /m);
  const bad = await run(['--route', 'tencent.sp-stock-query', '--generate', 'many']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--generate many: a whole number/);
});
