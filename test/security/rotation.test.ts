/**
 * Issue 12 item 4: secret rotation without downtime. A partner lists `secrets: [current, previous]`;
 * either verifies and the journal records which by position; upstream credentials and partner
 * secrets are swapped by a credential reload; the config refuses a secret under 16 characters
 * with its file and line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { getDialect, parseForm } from '../../src/dialects';
import { ConfigError, collectSecrets, parseConfig } from '../../src/config/load';
import type { Credentials } from '../../src/dialects/types';
import { reloadCredentials } from '../../src/runtime';
import { projectRoot } from '../../src/util/paths';
import { creds, startStack, testConfig, testMappings, type Stack } from '../support/stack';

const CURRENT = 'rotating-current-secret-01';
const PREVIOUS = 'rotating-previous-secret-1';
const rotating = (secret: string): Credentials => ({ keyId: 'SPROTATE01', secret, scheme: 'tencent-md5' });
const PATH = '/tencent/coupon/status/rsync';

let stack: Stack;
before(async () => {
  stack = await startStack({
    mappings: testMappings('', ['sp-rotating']),
    extraYaml: `  - { id: sp-rotating, dialect: tencent, api_key: SPROTATE01, secrets: [${CURRENT}, ${PREVIOUS}] }\ngrant_serial_fallback: coupon_id`,
  });
});
after(async () => {
  await stack.close();
});

function statusSync(): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-rot',
    stock_id: 'cb-demo-001',
    coupon_id: `C${randomUUID().slice(0, 8)}`,
    coupon_status: 1,
    event_time: '2024-03-01T10:15:31.000+08:00',
  };
}

async function journalOf(exchangeId: string): Promise<Record<string, unknown>> {
  await stack.running.rt.journal.drain();
  const rec = await stack.running.rt.store.getExchange(exchangeId);
  assert.ok(rec, 'the exchange is journaled');
  return rec.data as Record<string, unknown>;
}

describe('secrets: [current, previous]', () => {
  test('either secret verifies, and the journal records which by position, never the value', async () => {
    for (const [secret, position] of [
      [CURRENT, 0],
      [PREVIOUS, 1],
    ] as const) {
      const res = await stack.tencent(PATH, statusSync(), { creds: rotating(secret) });
      assert.equal(res.json.code, 0, res.body);
      await stack.running.rt.journal.drain();
      const [row] = await stack.running.rt.store.listExchanges({ limit: 1 });
      const data = await journalOf(row.id);
      assert.equal(data.verifiedWithSecret, position);
      assert.ok(!JSON.stringify(row).includes(secret), 'the secret value is not journaled');
    }
  });

  test('a third secret is refused with the signature error', async () => {
    const res = await stack.tencent(PATH, statusSync(), { creds: rotating('some-other-secret-0001') });
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 400005, res.body);
  });

  test('a reload drops the previous secret and swaps the upstream credentials', async () => {
    const before = stack.running.rt.upstreams.get('pyun')!.creds.secret;
    const next = testConfig(
      { pyun: stack.sandbox.pyunUrl, tencent: stack.sandbox.tencentUrl },
      {
        extraYaml: `  - { id: sp-rotating, dialect: tencent, api_key: SPROTATE01, secrets: [${CURRENT}] }`,
      },
    );
    next.upstreams.pyun.app_secret = 'pyun-upstream-secret-NEXT';
    reloadCredentials(stack.running.rt, next);
    try {
      const old = await stack.tencent(PATH, statusSync(), { creds: rotating(PREVIOUS) });
      assert.equal(old.json.code, 400005, old.body);
      const current = await stack.tencent(
        PATH,
        { ...statusSync(), coupon_status: 2, usage_time: '2024-03-01T10:15:30.120+08:00' },
        { creds: rotating(CURRENT) },
      );
      // the sandbox still holds the old P云 secret: the re-signed call is refused there, which shows
      // that the new secret signed it
      const sent = stack.sandbox.requests({ target: 'pyun' }).at(-1)!;
      const form = parseForm(sent.body);
      const pyun = getDialect('pyun');
      const msg = pyun.parse({
        method: 'POST',
        path: sent.path,
        query: '',
        headers: sent.headers,
        body: Buffer.from(sent.body),
      });
      const newCreds = { ...stack.running.rt.upstreams.get('pyun')!.creds };
      assert.equal(newCreds.secret, 'pyun-upstream-secret-NEXT');
      assert.ok(
        pyun.verify(
          msg,
          { method: 'POST', path: sent.path, query: '', headers: sent.headers, body: Buffer.from(sent.body) },
          newCreds,
        ).ok,
        `signed with the new secret (${form.sign})`,
      );
      assert.notEqual(current.json.code, 0, 'P云 (still on the old secret) refused it');
      assert.ok(stack.running.rt.secrets.includes('pyun-upstream-secret-NEXT'), 'the new secret is redacted');
    } finally {
      stack.running.rt.upstreams.get('pyun')!.creds.secret = before;
    }
  });
});

describe('config: secret strength and the secrets list', () => {
  const base = `upstreams:\n  pyun: { base_url: "http://p", app_id: op, app_secret: "\${P}" }\n`;
  const env = { P: 'pyun-secret-long-enough' };
  const problems = (text: string): string[] => {
    try {
      parseConfig(text, join(projectRoot(), 'cb.yaml'), env);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  test('a secret shorter than 16 characters is refused at start with its file and line, not its value', () => {
    const short = (() => {
      try {
        parseConfig(
          `${base}partners:\n  - { id: a, dialect: tencent, api_key: k, secret: "\${S}" }\n`,
          'cb.yaml',
          { ...env, S: 'fifteen-chars!!' },
        );
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    })();
    assert.deepEqual(short, [
      'cb.yaml:4: /partners/0/secret: secret too short: 15 characters, at least 16 required',
    ]);
    assert.deepEqual(
      problems(base.replace('${P}', 'short')).filter((p) => p.includes('app_secret')),
      [
        `${join(projectRoot(), 'cb.yaml')}:2: /upstreams/pyun/app_secret: secret too short: 5 characters, at least 16 required`,
      ],
    );
  });

  test('secrets replaces the secret key; giving both, or neither, is refused', () => {
    const list = `${base}partners:\n  - { id: a, dialect: dianping, app_key: k, secrets: [dianping-current-0001, dianping-previous-001] }\n`;
    const c = parseConfig(list, 'cb.yaml', env);
    assert.deepEqual(c.partners[0].secrets, ['dianping-current-0001', 'dianping-previous-001']);
    assert.ok(collectSecrets(c).includes('dianping-previous-001'), 'every listed secret is redacted');
    assert.deepEqual(
      problems(
        `${base}partners:\n  - { id: a, dialect: dianping, app_key: k, secret: dianping-current-0001, secrets: [dianping-current-0001] }\n`,
      ),
      [`${join(projectRoot(), 'cb.yaml')}:4: /partners/0/secrets: give either secret or secrets, not both`],
    );
    assert.match(
      problems(`${base}partners:\n  - { id: a, dialect: dianping, app_key: k, secrets: [x] }\n`)[0],
      /secrets\/0: secret too short: 1 characters/,
    );
    assert.match(
      problems(
        `${base}partners:\n  - { id: a, dialect: dianping, app_key: k, secrets: [a-long-secret-00001, b-long-secret-00001, c-long-secret-00001] }\n`,
      )[0],
      /secrets/,
    );
  });

  test('the test stack itself runs on secrets of at least 16 characters', () => {
    for (const s of Object.values(creds)) for (const v of Object.values(s)) assert.ok(typeof v === 'string');
    assert.ok(collectSecrets(testConfig({ pyun: 'http://p' })).every((s) => s.length >= 16));
  });
});
