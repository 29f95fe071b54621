/**
 * Shadow replay end to end: real traffic through the stack is journaled on a SQLite file; then
 * `couponbridge replay` (the real CLI) re-translates it with the shipped mappings (no difference,
 * exit 0) and with an edited copy (the edited field named, exit 1), without calling anything.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';
import { openStore } from '../../src/store/open';
import { creds, startStack, testMappings, type Stack } from '../support/stack';
import { runReplay, type ReplayOptions } from '../../src/cli/commands/replay';
import { sendSampleTraffic, trafficConfigYaml, type Traffic } from '../support/traffic';

const dir = mkdtempSync(join(tmpdir(), 'cb-replay-'));
const db = join(dir, 'cb.db');
const configFile = join(dir, 'couponbridge.yaml');
/** The shipped mappings, with the test SP allowed on their stocks (as the stack runs them). */
const shipped = testMappings();
let stack: Stack;
let traffic: Traffic;

function replay(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot(), 'src/cli/main.ts'), 'replay', '--config', configFile, ...args],
    { encoding: 'utf8' },
  );
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n') };
}

/** A copy of the shipped mappings with one file's text edited. */
function editedMappings(file: string, from: string, to: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'cb-candidate-'));
  cpSync(shipped, copy, { recursive: true });
  const text = readFileSync(join(copy, file), 'utf8');
  assert.ok(text.includes(from), `${file} contains ${from}`);
  writeFileSync(join(copy, file), text.replace(from, to));
  return copy;
}

before(async () => {
  stack = await startStack({ store: `sqlite:${db}`, mappings: shipped, extraYaml: trafficConfigYaml });
  traffic = await sendSampleTraffic(stack);
  // The same partners and upstream credentials as the stack (replay re-signs with them); the
  // upstream URLs are never called.
  writeFileSync(
    configFile,
    `store: "sqlite:${db}"
mappings: "${shipped}"
upstreams:
  pyun: { base_url: "${stack.sandbox.pyunUrl}", app_id: ${creds.pyunUpstream.app_id}, app_secret: ${creds.pyunUpstream.app_secret} }
  tencent: { base_url: "${stack.sandbox.tencentUrl}", api_key: ${creds.tencentUpstream.api_key}, secret: ${creds.tencentUpstream.secret} }
  dianping: { base_url: "${stack.sandbox.dianpingUrl}", app_key: ${creds.dianpingUpstream.app_key}, secret: ${creds.dianpingUpstream.secret} }
partners:
  - { id: sp-test, dialect: tencent, api_key: ${creds.sp.api_key}, secret: ${creds.sp.secret}, defaults: { park_uuid: park-from-partner-defaults } }
  - { id: pos-test, dialect: dianping, app_key: ${creds.pos.app_key}, secret: ${creds.pos.secret} }
  - { id: legacy-test, dialect: pyun, app_id: ${creds.legacy.app_id}, app_secret: ${creds.legacy.app_secret} }
${trafficConfigYaml}
`,
  );
  await stack.close();
});
/** The command in this process (same code as the CLI's action), for the cases that need no exit code. */
async function replayHere(...args: string[]) {
  const opts: Record<string, string> = { config: configFile };
  for (let i = 0; i < args.length; i += 2) opts[args[i].replace(/^--/, '')] = args[i + 1];
  const out: string[] = [];
  const code = await runReplay(opts as unknown as ReplayOptions, (l) => out.push(l));
  return { code, out: out.join('\n') };
}

const lines = (out: string, re: RegExp) => out.split('\n').filter((l) => re.test(l));

describe('couponbridge replay', () => {
  test('the shipped mappings replay every journaled exchange without a difference', () => {
    const r = replay('--mappings', shipped);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /no difference in \d+ exchanges/);
    for (const route of [
      'tencent.coupon-status-rsync',
      'tencent.sp-coupon-receive',
      'tencent.sp-stock-query',
      'tencent.sp-coupon-deactivate',
      'dianping.consume-coupon',
    ]) {
      assert.match(
        r.out,
        new RegExp(`^${route.replace('.', '\\.')}: [1-9]\\d* replayed, 0 differ`, 'm'),
        route,
      );
    }
    // The tampered message never reached the mapping: reported as skipped, not replayed.
    assert.match(
      r.out,
      /skipped 1 × tencent\.coupon-status-rsync: nothing mapped in the exchange itself \(CB_SIGN_MISMATCH\)/,
    );
    assert.equal(r.err, '', 'no progress bar or warning when stdout is piped');
  });

  test('an edited field is named per exchange with the recorded and the candidate value; exit 1', () => {
    const dir = editedMappings(
      'tencent-coupon-status-rsync.yaml',
      'apply_value: { first: [ledger.face_value_fen, stock.face_value_fen, partner.defaults.face_value_fen] }',
      'apply_value: { const: 300 }',
    );
    const r = replay('--mappings', dir);
    assert.equal(r.code, 1, r.out + r.err);
    const diffs = lines(r.out, / → /);
    // The two redeems (the claimed coupon and an unknown one) differ; nothing else does.
    assert.equal(diffs.length, 2, r.out);
    for (const d of diffs)
      assert.match(d, /^x\S+ tencent\.coupon-status-rsync outbound\.apply_value: 500 → 300$/);
    assert.match(r.out, /^tencent\.coupon-status-rsync: 4 replayed, 2 differ, 1 skipped$/m);
    assert.match(r.out, /^tencent\.sp-coupon-receive: 1 replayed, 0 differ$/m);
    assert.match(r.out, /^2 of \d+ exchanges differ$/m);
  });

  test('an edited answer code table changes the answer the caller would have had', async () => {
    // a local override of the shared P云 table's row
    const dir = editedMappings(
      'tencent-coupon-status-rsync.yaml',
      'codes_from: pyun\n',
      "codes_from: pyun\n  codes:\n    '1001': { code: 400220, message: 'P云 {upstream.code}' }\n",
    );
    const r = await replayHere('--mappings', dir, '--route', 'tencent.coupon-status-rsync');
    assert.equal(r.code, 1, r.out);
    // Both redeems and the expiry were answered 1001 by P云.
    assert.equal(lines(r.out, /answer\.code: 0 → 400220$/).length, 3, r.out);
    assert.equal(lines(r.out, /answer\.message: successful → P云 1001$/).length, 3, r.out);
    assert.doesNotMatch(r.out, /sp-coupon-receive/, '--route keeps only that route');
  });

  test('a coupon is replayed against its ledger record at the time, not the catalogue or today', async () => {
    // The claimed coupon has moved on since (redeemed, then used by the payment push)…

    const store = await openStore(`sqlite:${db}`);
    const now = await store.getCoupon({ couponId: traffic.claimedCouponId });
    await store.close();
    assert.equal(now?.state, 'used');
    // …and a catalogue edit of the face value changes the redeem of the coupon the ledger did
    // not know (its value came from the catalogue), not that of the claimed one (from its record).
    const dir = editedMappings('stocks.yaml', 'face_value_fen: 500', 'face_value_fen: 800');
    const r = await replayHere('--mappings', dir, '--route', 'tencent.coupon-status-rsync');
    assert.equal(r.code, 1, r.out);
    const diffs = lines(r.out, / → /);
    assert.deepEqual(
      diffs.map((d) => d.replace(/^x\S+ /, '')).sort(),
      [
        'tencent.coupon-status-rsync outbound.apply_value: 500 → 800',
        'tencent.coupon-status-rsync outbound.coupon_value: 500 → 800',
      ],
      r.out,
    );
  });

  test('bad input exits 2: a candidate set that fails its check, a bad time', () => {
    const broken = editedMappings(
      'tencent-coupon-status-rsync.yaml',
      'from: in.usage_time',
      'from: in.no_such_field',
    );
    const r = replay('--mappings', broken);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(
      r.err,
      /candidate mappings rejected:\n.*tencent-coupon-status-rsync\.yaml:\d+: .*no_such_field/,
    );
    const t = replay('--mappings', shipped, '--since', 'yesterday');
    assert.equal(t.code, 2);
    assert.match(t.err, /neither an ISO-8601 time nor an age/);
  });

  test('an unknown route is bad input', async () => {
    await assert.rejects(replayHere('--mappings', shipped, '--route', 'nope'), /unknown route "nope"/);
  });

  test('--since and --partner select exchanges', async () => {
    const future = await replayHere('--mappings', shipped, '--since', '2099-01-01T00:00:00Z');
    assert.equal(future.code, 0);
    assert.match(future.out, /^no difference in 0 exchanges$/m);
    const pos = await replayHere('--mappings', shipped, '--partner', 'pos-park', '--since', '1h');
    assert.match(pos.out, /^dianping\.consume-coupon: 1 replayed, 0 differ$/m);
    assert.doesNotMatch(pos.out, /^tencent\./m);
  });
});
