/**
 * `couponbridge validate`: one captured message checked as received — partner, signature, replay
 * window, schema — each problem named by its JSON pointer, nothing translated, called or stored.
 * The messages are literal business fields signed with the test partners' secrets by the dialect
 * signers the other suites use (test/support/stack.ts credentials) at a fixed time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDialect } from '../../src/dialects';
import { closeRuntime, type Runtime } from '../../src/runtime';
import { signedPyunPush } from '../../src/sandbox';
import {
  formatResult,
  openValidationRuntime,
  register,
  validateMessage,
  type ValidateOptions,
} from '../../src/cli/commands/validate';
import { projectRoot } from '../../src/util/paths';
import { runCli } from '../support/cli';
import { creds, paymentPushFields, spCreds, testConfig } from '../support/stack';
import { posCreds } from '../e2e/dianping-client';

// 2024-03-01T02:16:00Z: the time every message is signed at and checked against (unless stated).
const SIGNED_AT = new Date('2024-03-01T02:16:00.000Z');
const EPOCH_S = '1709259360';

const statusSync = {
  app_channel_id: 0,
  user_code: 'u-1',
  stock_id: 'cb-demo-001',
  coupon_id: 'C-VALIDATE-1',
  coupon_status: 2,
  usage_time: '2024-03-01T10:15:30.120+08:00',
};

function tencentBody(fields: Record<string, unknown>, c = spCreds): string {
  const built = getDialect('tencent').buildRequest(
    { method: 'POST', path: '/tencent/coupon/status/rsync', encoding: 'json' },
    { seq_id: 'b8b4f0b8-01fb-4c06-80b9-3ab895a8c616', ...fields },
    c,
    SIGNED_AT,
  );
  return built.body!;
}

const consume = {
  orderId: 'ORDER-VALIDATE-1',
  couponCode: 'DP-VALIDATE-1',
  shopName: '点评停车场',
  consumeTime: '1709259330120',
  orderAmount: '30.00',
  payAmount: '25.00',
  freightFee: '0',
  attributes: '{}',
};

function dianpingWire(method: 'GET' | 'POST', fields: Record<string, unknown>): string {
  const built = getDialect('dianping').buildRequest(
    { method, path: '/dianping/api/coupon/consumeCoupon', encoding: method === 'GET' ? 'query' : 'form' },
    fields,
    posCreds,
    SIGNED_AT,
  );
  return method === 'GET' ? built.path : built.body!;
}

let rt: Runtime;
before(async () => {
  rt = await openValidationRuntime(testConfig({ pyun: 'http://pyun.validate.test' }));
});
after(async () => {
  await closeRuntime(rt);
});

const check = (route: string, text: string, o: ValidateOptions = {}) =>
  validateMessage(rt, route, text, { at: SIGNED_AT, ...o });

describe('couponbridge validate', () => {
  test('a valid Tencent message: no problem, the partner named by its api_key, route by id or path', async () => {
    const body = tencentBody(statusSync);
    for (const route of ['tencent.coupon-status-rsync', '/tencent/coupon/status/rsync']) {
      const r = await check(route, body);
      assert.deepEqual(r.problems, []);
      assert.equal(r.route.id, 'tencent.coupon-status-rsync');
      assert.equal(r.format, 'json');
      assert.equal(r.partner, 'sp-test');
    }
    assert.equal(
      formatResult(await check('tencent.coupon-status-rsync', body)),
      'ok: a valid tencent.coupon-status-rsync message (json) signed by sp-test: signature, replay window and tencent/coupon-status-rsync.request hold\n',
    );
  });

  test('validating never remembers a nonce: the same message is valid every time', async () => {
    const body = tencentBody(statusSync);
    for (let i = 0; i < 3; i++)
      assert.deepEqual((await check('tencent.coupon-status-rsync', body)).problems, []);
  });

  test('a changed field after signing is a signature problem at /sign with the masked string-to-sign', async () => {
    const body = tencentBody(statusSync).replace('"u-1"', '"u-2"');
    const r = await check('tencent.coupon-status-rsync', body);
    assert.equal(r.problems.length, 1, formatResult(r));
    const [p] = r.problems;
    assert.equal(p.path, '/sign');
    assert.equal(p.kind, 'signature');
    // the nonce is the signer's random one; everything else is literal
    assert.match(
      p.message,
      /^sign mismatch for scheme tencent-md5 \(received [0-9A-F]{4}…[0-9A-F]{4}\) \(string-to-sign: api_key=SPTESTKEY0001&app_channel_id=0&coupon_id=C-VALIDATE-1&coupon_status=2&nonce=\d{16}&seq_id=b8b4f0b8-01fb-4c06-80b9-3ab895a8c616&stock_id=cb-demo-001&timestamp=1709259360&usage_time=2024-03-01T10:15:30\.120\+08:00&user_code=u-2\*\*\*\)$/,
    );
    assert.doesNotMatch(p.message, new RegExp(creds.sp.secret));
  });

  test('a stale timestamp is a replay problem at /timestamp', async () => {
    const r = await check('tencent.coupon-status-rsync', tencentBody(statusSync), {
      at: new Date(SIGNED_AT.getTime() + 301_000),
    });
    assert.deepEqual(r.problems, [
      {
        path: '/timestamp',
        kind: 'replay',
        message: `timestamp ${EPOCH_S} is 301 s old (accepted window ±300 s)`,
      },
    ]);
  });

  test('every schema problem is listed with its pointer, beside the signature and replay results', async () => {
    const { stock_id: _dropped, ...noStock } = statusSync;
    const r = await check('tencent.coupon-status-rsync', tencentBody({ ...noStock, coupon_status: 7 }), {
      at: new Date(SIGNED_AT.getTime() - 400_000),
    });
    assert.deepEqual(
      r.problems.map((p) => [p.path, p.kind]),
      [
        ['/timestamp', 'replay'],
        ['/stock_id', 'schema'],
        ['/coupon_status', 'schema'],
      ],
    );
    assert.equal(
      r.problems[0].message,
      `timestamp ${EPOCH_S} is 400 s in the future (accepted window ±300 s)`,
    );
    assert.equal(r.problems[1].message, 'is required');
    assert.equal(r.problems[2].message, 'must be equal to one of the allowed values (1, 2, 3)');
  });

  test('an unknown api_key is a partner problem at /api_key; no signature can be checked', async () => {
    const other = { ...spCreds, keyId: 'NOSUCHKEY', secret: 'some-other-secret-0001' };
    const r = await check('tencent.coupon-status-rsync', tencentBody(statusSync, other));
    assert.deepEqual(r.problems, [
      { path: '/api_key', kind: 'partner', message: 'no tencent partner with api_key "NOSUCHKEY"' },
    ]);
  });

  test('--partner checks with that partner and names a message signed for another key', async () => {
    const other = { ...spCreds, keyId: 'NOSUCHKEY', secret: 'some-other-secret-0001' };
    const r = await check('tencent.coupon-status-rsync', tencentBody(statusSync, other), {
      partner: 'sp-test',
    });
    assert.deepEqual(
      r.problems.map((p) => [p.path, p.kind]),
      [
        ['/api_key', 'partner'],
        ['/sign', 'signature'],
      ],
    );
    assert.equal(r.problems[0].message, `the message names api_key "NOSUCHKEY", not partner sp-test's`);
    assert.equal(r.partner, 'sp-test');
    await assert.rejects(
      check('tencent.coupon-status-rsync', tencentBody(statusSync), { partner: 'pos-test' }),
      {
        message: 'partner pos-test speaks dianping; route tencent.coupon-status-rsync takes tencent',
      },
    );
    await assert.rejects(
      check('tencent.coupon-status-rsync', tencentBody(statusSync), { partner: 'nobody' }),
      /unknown partner "nobody"/,
    );
  });

  test('a Dianping form body and a GET query string are told apart by content', async () => {
    const form = await check('dianping.consume-coupon', dianpingWire('POST', consume));
    assert.equal(form.format, 'form');
    assert.deepEqual(form.problems, []);
    assert.equal(form.partner, 'pos-test');
    for (const captured of [
      dianpingWire('GET', consume),
      `https://pos.example.test${dianpingWire('GET', consume)}`,
      dianpingWire('GET', consume).slice(dianpingWire('GET', consume).indexOf('?')),
    ]) {
      const query = await check('/dianping/api/coupon/consumeCoupon', captured);
      assert.equal(query.format, 'query', captured);
      assert.deepEqual(query.problems, [], captured);
    }
    const tampered = await check(
      'dianping.consume-coupon',
      dianpingWire('POST', consume).replace('30.00', '31.00'),
    );
    assert.deepEqual(
      tampered.problems.map((p) => [p.path, p.kind]),
      [['/sign', 'signature']],
    );
    assert.equal(
      tampered.problems[0].message,
      'sign mismatch for scheme dianping-sha1 (received 1852…4F46) (string-to-sign: postestattributes{}consumeTime1709259330120couponCodeDP-VALIDATE-1freightFee0orderAmount31.00orderIdORDER-VALIDATE-1payAmount25.00shopName点评停车场***)',
    );
  });

  test('a Dianping schema problem names the field', async () => {
    const { couponCode: _c, ...noCode } = consume;
    const r = await check('dianping.consume-coupon', dianpingWire('POST', { ...noCode, payAmount: 'x' }));
    assert.deepEqual(
      r.problems.map((p) => [p.path, p.kind]),
      [
        ['/couponCode', 'schema'],
        ['/payAmount', 'schema'],
      ],
      formatResult(r),
    );
    assert.equal(r.problems[0].message, 'is required');
  });

  test("a P云 payment push (form) is checked with couponbridge's own P云 app", async () => {
    const body = signedPyunPush(
      paymentPushFields('PAY-VALIDATE-1', 'GS-VALIDATE-1'),
      creds.pyunUpstream.app_id,
      creds.pyunUpstream.app_secret,
    );
    const r = await check('/pyun/notify/payment', body, { at: new Date() });
    assert.deepEqual(r.problems, [], formatResult(r));
    assert.equal(r.partner, 'pyun');
    const forged = signedPyunPush(
      paymentPushFields('PAY-VALIDATE-1', 'GS-VALIDATE-1'),
      creds.pyunUpstream.app_id,
      'not-the-app-secret-0001',
    );
    const bad = await check('pyun.notify-payment', forged, { at: new Date() });
    assert.deepEqual(
      bad.problems.map((p) => [p.path, p.kind]),
      [['/sign', 'signature']],
    );
  });

  test('an unreadable body is one transport problem', async () => {
    const r = await check('tencent.coupon-status-rsync', '{"api_key": ');
    assert.deepEqual(
      r.problems.map((p) => [p.path, p.kind]),
      [['', 'transport']],
    );
    assert.match(r.problems[0].message, /JSON/);
  });

  test('a query string on a POST-only route is a transport problem', async () => {
    const r = await check('tencent.coupon-status-rsync', '?api_key=SPTESTKEY0001', { format: 'query' });
    assert.equal(r.problems[0].path, '');
    assert.equal(r.problems[0].kind, 'transport');
    assert.equal(
      r.problems[0].message,
      'tencent.coupon-status-rsync accepts POST; a query message arrives as GET',
    );
  });

  test('an unknown route is bad usage listing the routes', async () => {
    await assert.rejects(
      check('/no/such/route', '{}'),
      /unknown route "\/no\/such\/route"; routes: .*tencent\.coupon-rsync \(\/tencent\/coupon\/rsync\)/,
    );
  });
});

describe('couponbridge validate (command line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-validate-'));
  const config = join(dir, 'couponbridge.yaml');
  writeFileSync(
    config,
    `store: "sqlite::memory:"
mappings: "${join(projectRoot(), 'mappings')}"
upstreams:
  pyun: { base_url: "http://pyun.validate.test", app_id: ${creds.pyunUpstream.app_id}, app_secret: ${creds.pyunUpstream.app_secret} }
partners:
  - { id: sp-demo, dialect: tencent, api_key: ${creds.sp.api_key}, secret: ${creds.sp.secret} }
`,
  );

  const run = (args: string[], stdin: string | undefined) =>
    runCli([register], ['validate', '--config', config, ...args], { stdin });

  test('exit 0 for a valid message, 1 with one line per problem, 2 for bad usage', async () => {
    const ok = await run(
      ['--route', 'tencent.coupon-status-rsync', '--at', EPOCH_S],
      tencentBody(statusSync),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ok: a valid tencent\.coupon-status-rsync message \(json\) signed by sp-demo/);

    const bad = await run(
      ['--route', '/tencent/coupon/status/rsync', '--at', '2024-03-01T02:21:01Z'],
      tencentBody({ ...statusSync, coupon_status: 7 }),
    );
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stdout,
      `/timestamp: replay: timestamp ${EPOCH_S} is 301 s old (accepted window ±300 s)\n` +
        '/coupon_status: schema: must be equal to one of the allowed values (1, 2, 3)\n' +
        '2 problem(s) in a tencent.coupon-status-rsync message (json)\n',
    );

    const usage = await run(['--route', 'nope'], tencentBody(statusSync));
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^couponbridge: unknown route "nope"/);
    assert.equal((await run(['--route', 'tencent.coupon-status-rsync', '--format', 'xml'], '{}')).code, 2);
    const empty = await run(['--route', 'tencent.coupon-status-rsync'], undefined);
    assert.equal(empty.code, 2);
    assert.equal(
      empty.stderr,
      'couponbridge: no input: pipe the captured message on stdin or pass --file <path>\n',
    );
    assert.equal(
      (await run(['--route', 'tencent.coupon-status-rsync', '--file', 'missing.json'], undefined)).code,
      2,
    );
  });
});
