// A fourth dialect, kerbside, that lives entirely under test/dialect4: its folder (codec, signer,
// envelope, codes, client, descriptor), its schemas, two mappings and a sandbox stub. Registered at
// runtime, it is configured, served and called through the real HTTP server in both directions:
// kerbside → P云 (the P云 sandbox) and P云-dialect partner → kerbside (its stub). No file of src/
// knows its name, which the last test checks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { ConfigError, parseConfig } from '../../src/config/load';
import { getDialect, knownDialectNames, registerDialect } from '../../src/dialects';
import { createLogger } from '../../src/log';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { defaultSchemaDir, loadSchemaRegistry } from '../../src/schema/registry';
import { startServer, type Running } from '../../src/server/start';
import { projectRoot } from '../../src/util/paths';
import { descriptor, NAME } from './kerbside';
import { KerbsidePlatform } from './kerbside/sandbox';

const unregister = registerDialect(descriptor);

const pyunUpstream = { app_id: 'op-cb-kerb', app_secret: 'pyun-upstream-secret-kerb' };
const kerbUpstream = { merchant_id: 'KB-CB', merchant_key: 'kerbside-upstream-key-01' };
const kerbPartner = { merchant_id: 'KB-7', merchant_key: 'kerbside-partner-key-007' };
const legacy = { app_id: 'op-legacy-kerb', app_secret: 'legacy-partner-secret-kb' };

function configYaml(urls: { pyun: string; kerbside: string }, extraKerbUpstream = ''): string {
  return `
server: { host: 127.0.0.1, port: 0, shutdown_grace_ms: 200 }
store: "sqlite::memory:"
mappings: "${join(__dirname, 'mappings')}"
log: { level: error }
upstreams:
  pyun: { base_url: "${urls.pyun}", app_id: ${pyunUpstream.app_id}, app_secret: ${pyunUpstream.app_secret} }
  kerbside: { base_url: "${urls.kerbside}", merchant_id: ${kerbUpstream.merchant_id}, merchant_key: ${kerbUpstream.merchant_key}${extraKerbUpstream} }
partners:
  - { id: kerb-test, dialect: kerbside, merchant_id: ${kerbPartner.merchant_id}, merchant_key: ${kerbPartner.merchant_key} }
  - { id: legacy-test, dialect: pyun, app_id: ${legacy.app_id}, app_secret: ${legacy.app_secret} }
`;
}

/** kerbside-sha256 written out here, independently of the dialect's signer. */
function kerbsideSign(fields: Record<string, unknown>, secret: string): string {
  const base = Object.keys(fields)
    .filter((k) => k !== 'signature' && fields[k] !== '' && fields[k] !== undefined)
    .sort()
    .map((k) => `${k}=${String(fields[k])}`)
    .join('\n');
  return createHash('sha256').update(`${base}\nkey=${secret}`).digest('hex');
}

/** pyun-form-md5 (seed 000) written out here: sorted k=v&…&app_secret=…, MD5, upper-case. */
function pyunFormSign(fields: Record<string, string>, secret: string): string {
  const base = Object.keys(fields)
    .filter((k) => k !== 'sign' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHash('md5').update(`${base}&app_secret=${secret}`).digest('hex').toUpperCase();
}

describe('a fourth dialect registered at runtime, from test/ only', () => {
  let sandbox: Sandbox;
  let running: Running;

  before(async () => {
    sandbox = await startSandbox({
      pyun: pyunUpstream,
      platforms: { [NAME]: new KerbsidePlatform(kerbUpstream) },
    });
    const config = parseConfig(
      configYaml({ pyun: sandbox.pyunUrl, kerbside: sandbox.urls[NAME] }),
      join(projectRoot(), 'test-config.yaml'),
      {},
    );
    running = await startServer(config, {
      logger: createLogger({ level: 'error' }),
      registry: loadSchemaRegistry([defaultSchemaDir(), join(__dirname, 'schemas')]),
      outbox: false,
    });
  });

  after(async () => {
    await running?.stop();
    await sandbox?.close();
    unregister();
  });

  async function postKerbside(fields: Record<string, unknown>, secret = kerbPartner.merchant_key) {
    const message = { ...fields, merchant_id: kerbPartner.merchant_id, ts: Math.floor(Date.now() / 1000) };
    const body = JSON.stringify({ ...message, signature: kerbsideSign(message, secret) });
    const res = await request(`${running.url}/kerbside/coupon/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: JSON.parse(text) };
  }

  test('kerbside → P云: the redeem reaches the P云 sandbox as a signed grant/sync, and P云 1001 answers ok', async () => {
    sandbox.clear();
    const res = await postKerbside({
      grant_serial: 'GS-KERB-1',
      park_uuid: 'park-kerb',
      amount_fen: 500,
      used_at: '2026-12-01T18:30:00+08:00',
    });
    assert.deepEqual(res, { status: 200, json: { ok: true } });

    const [sent] = sandbox.requests({ target: 'pyun', path: '/grant/sync' });
    assert.ok(sent, 'P云 was called');
    const f = sent.fields as Record<string, string>;
    assert.equal(sent.method, 'POST');
    assert.equal(f.app_id, pyunUpstream.app_id);
    assert.equal(f.sign_type, 'MD5');
    assert.deepEqual(
      [f.park_uuid, f.grant_serial, f.status, f.apply_status, f.coupon_value, f.apply_value, f.local_sync],
      ['park-kerb', 'GS-KERB-1', '1', '1', '500', '500', '0'],
    );
    assert.equal(f.apply_time, '2026-12-01T10:30:00.000Z');
    assert.equal(f.status_time, '2026-12-01T10:30:00.000Z');
    assert.equal(f.sign, pyunFormSign(f, pyunUpstream.app_secret));
    assert.equal(JSON.parse(sent.answer!.body).code, '1001');
  });

  test("kerbside → P云: P云's 1403 comes back as kerbside K409 through the mapping's code table", async () => {
    const fields = {
      grant_serial: 'GS-KERB-2',
      park_uuid: 'park-kerb',
      amount_fen: 300,
      used_at: '2026-12-01T10:00:00Z',
    };
    assert.equal((await postKerbside(fields)).json.ok, true);
    const again = await postKerbside(fields);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { ok: false, err: 'K409', msg: 'P云 1403: 重复核销' });
  });

  test('kerbside → P云: a wrong kerbside signature is refused in the kerbside envelope and nothing is sent', async () => {
    sandbox.clear();
    const res = await postKerbside(
      { grant_serial: 'GS-KERB-3', park_uuid: 'p', amount_fen: 1, used_at: '2026-12-01T10:00:00Z' },
      'not-the-partner-key-000',
    );
    assert.equal(res.status, 401);
    assert.equal(res.json.ok, false);
    assert.equal(res.json.err, 'K401');
    assert.match(res.json.msg, /sign mismatch for scheme kerbside-sha256/);
    assert.deepEqual(sandbox.requests({ target: 'pyun' }), []);
  });

  test('P云 partner → kerbside: the voucher request reaches the kerbside stub as signed JSON, its ticket comes back', async () => {
    sandbox.clear();
    const pyun = getDialect('pyun');
    const send = async (voucher: string) => {
      const built = pyun.buildRequest(
        { method: 'POST', path: '/pyun/kerbside/voucher', encoding: 'form' },
        { voucher_no: voucher, plate: '粤B660PP', value: '800' },
        { keyId: legacy.app_id, secret: legacy.app_secret, scheme: 'pyun-form-md5' },
      );
      const res = await request(`${running.url}${built.path}`, {
        method: 'POST',
        headers: built.headers,
        body: built.body,
      });
      return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
    };
    const res = await send('V-1');
    assert.equal(res.status, 200);
    assert.equal(res.json.code, '1001');
    assert.deepEqual(res.json.payload, { ticket: 'KT-V-1' });

    const [sent] = sandbox.requests({ target: NAME });
    assert.equal(sent.path, '/api/v2/vouchers');
    assert.match(String(sent.headers['content-type']), /^application\/json/);
    const body = JSON.parse(sent.body);
    assert.deepEqual(
      { ...body, ts: undefined, signature: undefined },
      {
        voucher_id: 'V-1',
        plate_no: '粤B660PP',
        value_fen: 800,
        merchant_id: 'KB-CB',
        ts: undefined,
        signature: undefined,
      },
    );
    assert.ok(Math.abs(body.ts - Date.now() / 1000) < 60, `ts ${body.ts} is now, in seconds`);
    assert.equal(body.signature, kerbsideSign(body, kerbUpstream.merchant_key));

    const again = await send('V-1');
    assert.equal(again.json.code, '1403');
    assert.equal(again.json.message, 'kerbside K409: voucher V-1 already issued');
  });

  test('config: the registry adds the dialect, its credential keys and its upstream section with its defaults', () => {
    assert.ok(knownDialectNames().includes(NAME));
    const c = parseConfig(
      configYaml({ pyun: 'http://127.0.0.1:9', kerbside: 'http://127.0.0.1:8' }, ', region: south'),
      'c.yaml',
      {},
    );
    assert.deepEqual(c.upstreams[NAME], {
      base_url: 'http://127.0.0.1:8',
      ...kerbUpstream,
      timeout_ms: 1500,
      max_in_flight: 16,
      region: 'south',
    });
    assert.deepEqual(
      c.warnings.filter((w) => w.includes('/upstreams/kerbside')),
      ['c.yaml:8: /upstreams/kerbside: the south cluster is read-only on Sundays'],
    );
    assert.equal(c.partners[0][descriptor.dialect.credentialKeys.keyId], kerbPartner.merchant_id);

    const problems = (yaml: string): string[] => {
      try {
        parseConfig(yaml, 'c.yaml', {});
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.problems;
      }
      return [];
    };
    const base = configYaml({ pyun: 'http://127.0.0.1:9', kerbside: 'http://127.0.0.1:8' });
    assert.deepEqual(
      problems(
        base.replace(', region: south', '').replace('merchant_key: kerbside-upstream-key-01', 'region: east'),
      ),
      [
        'c.yaml:8: /upstreams/kerbside/merchant_key: required key is missing',
        'c.yaml:8: /upstreams/kerbside/region: must be one of: north, south',
      ],
    );
    assert.deepEqual(
      problems(base.replace('dialect: pyun, app_id', 'dialect: pyun, merchant_id: x, app_id')),
      [
        'c.yaml:11: /partners/1/merchant_id: not a pyun credential (a pyun partner has app_id and app_secret)',
      ],
    );
  });

  test('no file of src/ names the fourth dialect, its scheme or its credential keys', () => {
    for (const word of [NAME, descriptor.schemes[0].name, 'merchant_key']) {
      const r = spawnSync('grep', ['-rli', word, 'src/'], { cwd: projectRoot(), encoding: 'utf8' });
      assert.equal(r.status, 1, `grep -rli ${word} src/ found: ${r.stdout}`);
      assert.equal(r.stdout, '');
    }
  });
});
