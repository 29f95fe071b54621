import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { register as registerSign } from '../../src/cli/commands/sign';
import { register as registerVerify } from '../../src/cli/commands/verify';
import { schemeNames } from '../../src/dialects/index';
import { changeOneChar, loadVectors, type Vector } from '../dialects/load-vectors';
import { runCli, type CliRun } from '../support/cli';

type Run = CliRun;

/** Runs `couponbridge <args>` in-process with the given stdin (undefined: a terminal) and files. */
function run(args: string[], stdin: string | undefined, files: Record<string, string> = {}): Promise<Run> {
  return runCli([registerSign, registerVerify], args, { stdin, files });
}

/** Runs the real executable, bin/couponbridge.js, with stdin piped. */
function spawnCli(args: string[], stdin: string): Promise<Run> {
  const root = resolve(__dirname, '..', '..');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(root, 'bin', 'couponbridge.js'), ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const input = (v: Vector, extra: Record<string, unknown> = {}): string => JSON.stringify({ ...v, ...extra });

/** The vector with one character of one param (or of the body) changed. */
function tampered(v: Vector): Vector {
  if (v.body !== undefined) return { ...v, body: changeOneChar(v.body) };
  const [key, value] = Object.entries(v.params!)[0];
  return { ...v, params: { ...v.params, [key]: changeOneChar(String(value)) } };
}

const oneLine = (r: Run): void => {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^couponbridge: [^\n]+\n$/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
};

const vectors = loadVectors();

describe('couponbridge sign / verify over the published vectors (in-process)', () => {
  for (const v of vectors) {
    test(`${v.id}: sign prints the published signature alone`, async () => {
      const r = await run(['sign'], input(v));
      assert.deepEqual(r, { code: 0, stdout: `${v.sign}\n`, stderr: '' });
    });

    test(`${v.id}: verify prints ok`, async () => {
      assert.deepEqual(await run(['verify'], input(v)), { code: 0, stdout: 'ok\n', stderr: '' });
    });

    test(`${v.id}: verify exits 1 with the reason when one character changed`, async () => {
      const r = await run(['verify'], input(tampered(v)));
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^sign mismatch for scheme ${v.scheme} \\(received ${v.sign.slice(0, 4)}…${v.sign.slice(-4)}\\)\\nstring-to-sign: `,
        ),
      );
      assert.ok(!r.stderr.includes(v.secret));
    });
  }
});

describe('couponbridge sign / verify options and input errors', () => {
  const tencent = vectors.find((v) => v.scheme === 'tencent-md5')!;

  test('--explain prints the masked string-to-sign on stderr', async () => {
    const r = await run(['sign', '--explain'], input(tencent));
    assert.equal(r.stdout, `${tencent.sign}\n`);
    const pairs = Object.entries(tencent.params!)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, val]) => `${k}=${val}`)
      .join('&');
    assert.equal(r.stderr, `string-to-sign: ${pairs}***\n`);
  });

  test('--file reads the input from a file, and an unreadable file exits 2', async () => {
    assert.equal(
      (await run(['sign', '--file', 'in.json'], undefined, { 'in.json': input(tencent) })).stdout,
      `${tencent.sign}\n`,
    );
    const r = await run(['sign', '--file', 'missing.json'], undefined);
    oneLine(r);
    assert.match(r.stderr, /cannot read missing\.json: ENOENT/);
  });

  test('honours emptyValues from the input', async () => {
    const params = { ...tencent.params, extra: '' };
    const signed = await run(['sign'], input(tencent, { params }));
    const skipped = await run(['sign'], input(tencent, { params, emptyValues: 'skip' }));
    assert.equal(skipped.stdout, `${tencent.sign}\n`);
    assert.notEqual(signed.stdout, skipped.stdout);
  });

  test('a terminal stdin without --file exits 2 instead of waiting', async () => {
    const r = await run(['sign'], undefined);
    oneLine(r);
    assert.match(r.stderr, /no input/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['malformed JSON', '{"scheme":', /input is not valid JSON/],
    ['an array', '[]', /must be one JSON object/],
    ['no scheme', JSON.stringify({ secret: 's', params: {} }), /missing the field "scheme"/],
    [
      'a scheme that is not a string',
      JSON.stringify({ scheme: 5, secret: 's', params: {} }),
      /"scheme" must be a string/,
    ],
    [
      'an empty secret',
      JSON.stringify({ scheme: 'tencent-md5', secret: '', params: {} }),
      /"secret" must not be empty/,
    ],
    [
      'params that are a list',
      JSON.stringify({ scheme: 'tencent-md5', secret: 's', params: [1] }),
      /"params" must be a JSON object/,
    ],
    ['no params', JSON.stringify({ scheme: 'tencent-md5', secret: 's' }), /missing the field "params"/],
    [
      'a body for a params scheme',
      JSON.stringify({ scheme: 'tencent-md5', secret: 's', params: {}, body: 'x' }),
      /remove "body"/,
    ],
    [
      'pyun-json-md5 without body',
      JSON.stringify({ scheme: 'pyun-json-md5', secret: 's' }),
      /missing the field "body"/,
    ],
    [
      'dianping-sha1 without app_key',
      JSON.stringify({ scheme: 'dianping-sha1', secret: 's', params: {} }),
      /missing the field "app_key"/,
    ],
    [
      'a bad emptyValues',
      JSON.stringify({ scheme: 'tencent-md5', secret: 's', params: {}, emptyValues: 'x' }),
      /"emptyValues" must be "skip" or "sign"/,
    ],
  ];
  for (const [what, text, pattern] of bad) {
    test(`sign exits 2 with one line on ${what}`, async () => {
      const r = await run(['sign'], text);
      oneLine(r);
      assert.match(r.stderr, pattern);
    });
  }

  test('an unknown scheme exits 2 and lists the known schemes', async () => {
    const r = await run(['verify'], JSON.stringify({ scheme: 'sha256', secret: 's', params: {}, sign: 'x' }));
    oneLine(r);
    for (const name of schemeNames) assert.ok(r.stderr.includes(name), name);
  });

  test('verify exits 2 when sign is missing or not a string', async () => {
    const { sign: _sign, ...unsigned } = tencent;
    oneLine(await run(['verify'], JSON.stringify(unsigned)));
    oneLine(await run(['verify'], input(tencent, { sign: 42 })));
  });
});

describe('couponbridge executable (bin/couponbridge.js)', { concurrency: true }, () => {
  for (const v of vectors) {
    test(`${v.id}: sign prints the published signature`, async () => {
      const r = await spawnCli(['sign'], input(v));
      assert.deepEqual(r, { code: 0, stdout: `${v.sign}\n`, stderr: '' });
    });
  }

  test('verify prints ok for a good signature (stdin or --file -) and exits 1 for a changed param', async () => {
    const v = vectors[0];
    assert.deepEqual(await spawnCli(['verify'], input(v)), { code: 0, stdout: 'ok\n', stderr: '' });
    assert.deepEqual(await spawnCli(['verify', '--file', '-'], input(v)), {
      code: 0,
      stdout: 'ok\n',
      stderr: '',
    });
    const bad = await spawnCli(['verify'], input(tampered(v)));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^sign mismatch for scheme /);
  });

  test('bad input exits 2 with one line and no stack trace', async () => {
    oneLine(await spawnCli(['sign'], 'not json'));
  });
});
