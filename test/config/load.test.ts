import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  ConfigError,
  buildConfigSchema,
  collectSecrets,
  defaultsFile,
  loadConfig,
  parseConfig,
} from '../../src/config/load';
import { dialectDescriptors } from '../../src/dialects';

const base = `upstreams:
  pyun:
    base_url: http://127.0.0.1:9
    app_id: op-test
    app_secret: \${PYUN_APP_SECRET}
`;
const env = { PYUN_APP_SECRET: 'pyun-test-secret' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.message, e.problems.join('\n'));
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  test('names the file, line and path of a missing environment variable', () => {
    const text = `server:\n  port: 8081\n${base}`;
    const problems = problemsOf(() => parseConfig(text, 'couponbridge.yaml', {}, { baseDir: '/srv' }));
    assert.deepEqual(problems, [
      'couponbridge.yaml:7: /upstreams/pyun/app_secret: environment variable PYUN_APP_SECRET is not set',
    ]);
  });

  test('rejects an unknown key, naming it and its line', () => {
    const text = `${base}server:\n  port: 8081\n  bodylimit: 10\n`;
    const problems = problemsOf(() => parseConfig(text, 'couponbridge.yaml', env, { baseDir: '/srv' }));
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      /^couponbridge\.yaml:8: \/server\/bodylimit: unknown key "bodylimit" \(allowed: host, port,/,
    );
  });

  test('reports a wrong type and a bad enum at their lines, all at once', () => {
    const text = `${base}server:\n  port: eighty\nlog:\n  level: loud\n`;
    const problems = problemsOf(() => parseConfig(text, 'c.yaml', env, { baseDir: '/srv' }));
    assert.deepEqual(problems, [
      'c.yaml:7: /server/port: must be integer',
      'c.yaml:9: /log/level: must be one of: error, warn, info, http, verbose, debug, silly',
    ]);
  });

  test('reports a missing required key at its parent', () => {
    const text = `upstreams:\n  pyun:\n    app_id: op\n    app_secret: s-0123456789abcdef\n`;
    const problems = problemsOf(() => parseConfig(text, 'c.yaml', env, { baseDir: '/srv' }));
    assert.deepEqual(problems, ['c.yaml:2: /upstreams/pyun/base_url: required key is missing']);
  });

  test('prints a YAML syntax error with its line', () => {
    const problems = problemsOf(() => parseConfig(`${base}server: [1,\n`, 'c.yaml', env));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^c\.yaml:\d+: /);
  });

  test('uses the fallback of ${VAR:-default} only when VAR is unset or empty', () => {
    const text = `${base}server:\n  host: "\${HOST:-0.0.0.0}"\n  port: "\${PORT:-9000}"\n`;
    const unset = parseConfig(text, 'c.yaml', env, { baseDir: '/srv' });
    assert.equal(unset.server.host, '0.0.0.0');
    assert.equal(unset.server.port, 9000);
    const set = parseConfig(text, 'c.yaml', { ...env, HOST: '10.0.0.1', PORT: '' }, { baseDir: '/srv' });
    assert.equal(set.server.host, '10.0.0.1');
    assert.equal(set.server.port, 9000);
  });

  test('interpolates inside longer strings and keeps $${ literal', () => {
    const text = `${base}mappings: "\${DIR}/maps-$\${x}"\n`;
    const c = parseConfig(text, 'c.yaml', { ...env, DIR: '/opt' }, { baseDir: '/srv' });
    assert.equal(c.mappings, '/opt/maps-${x}');
  });

  test('applies every default from couponbridge.default.yaml', () => {
    const c = parseConfig(base, 'c.yaml', env, { baseDir: '/srv' });
    assert.deepEqual(c.server, {
      host: '127.0.0.1',
      port: 8080,
      body_limit_bytes: 65536,
      request_timeout_ms: 10000,
      headers_timeout_ms: 5000,
      keep_alive_timeout_ms: 5000,
      shutdown_grace_ms: 10000,
      workers: 1,
    });
    assert.equal(c.store, 'sqlite:/srv/var/couponbridge.db');
    assert.equal(c.mappings, '/srv/mappings');
    assert.deepEqual(c.replay, { window_s: 300, signature_memory_days: 30 });
    assert.deepEqual(c.journal, { max_age_days: 7, max_rows: 100000 });
    assert.deepEqual(c.log, { level: 'info', mask_plates: false });
    assert.deepEqual(c.upstreams.pyun, {
      base_url: 'http://127.0.0.1:9',
      app_id: 'op-test',
      app_secret: 'pyun-test-secret',
      timeout_ms: 5000,
      max_in_flight: 128,
      connections: 32,
      coupon_value_unit_for_time: 'fen',
    });
    assert.deepEqual(c.partners, []);
    assert.deepEqual(c.outbox.retry_schedule_ms, [1000, 2000, 5000, 15000, 60000, 300000, 900000, 3600000]);
    assert.equal(c.outbox.jitter, 0.2);
    assert.equal(c.grant_serial_fallback, 'none');
    assert.deepEqual(c.passthrough, { allow: [] });
    assert.deepEqual(c.warnings, [
      'c.yaml:2: /upstreams/pyun: push_secret not set: P云 payment pushes are verified with app_secret, the secret couponbridge signs its own P云 calls with',
    ]);
  });

  test('fills an optional upstream with defaults only when the file declares it', () => {
    assert.equal(parseConfig(base, 'c.yaml', env).upstreams.tencent, undefined);
    const text = `${base}  tencent: { api_key: k, secret: "\${T}" }\n`;
    const c = parseConfig(text, 'c.yaml', { ...env, T: 'tencent-upstream-ts' });
    assert.deepEqual(c.upstreams.tencent, {
      api_key: 'k',
      secret: 'tencent-upstream-ts',
      timeout_ms: 5000,
      max_in_flight: 128,
    });
    assert.equal(c.upstreams.dianping, undefined);
  });

  test('replaces lists instead of merging them', () => {
    const c = parseConfig(`${base}outbox:\n  retry_schedule_ms: [10, 20]\n`, 'c.yaml', env);
    assert.deepEqual(c.outbox.retry_schedule_ms, [10, 20]);
    assert.equal(c.outbox.lease_ms, 15000);
  });

  test('lets --host and --port override the file', () => {
    const text = `${base}server: { host: 127.0.0.1, port: 8081 }\n`;
    const c = parseConfig(text, 'c.yaml', env, { overrides: { host: '0.0.0.0', port: 0 } });
    assert.equal(c.server.host, '0.0.0.0');
    assert.equal(c.server.port, 0);
    assert.throws(
      () => parseConfig(text, 'c.yaml', env, { overrides: { port: 70000 } }),
      /\/server\/port: must be <= 65535/,
    );
  });

  test('resolves relative paths against the config file directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-config-'));
    const file = join(dir, 'couponbridge.yaml');
    writeFileSync(file, `${base}store: sqlite:data/cb.db\nmappings: ../shared-maps\n`);
    const c = loadConfig(file, { env });
    assert.equal(c.store, `sqlite:${join(dir, 'data/cb.db')}`);
    assert.equal(c.mappings, join(dir, '..', 'shared-maps'));
    const mem = parseConfig(`${base}store: "sqlite::memory:"\n`, 'c.yaml', env);
    assert.equal(mem.store, 'sqlite::memory:');
    const pg = parseConfig(`${base}store: postgresql://u@db/cb\n`, 'c.yaml', env);
    assert.equal(pg.store, 'postgresql://u@db/cb');
  });

  test('says which file cannot be read', () => {
    assert.throws(
      () => loadConfig('/nonexistent/cb.yaml'),
      /^ConfigError: \/nonexistent\/cb\.yaml: cannot read/,
    );
  });

  test('warns, without failing, about a secret written literally', () => {
    const text = `${base}partners:\n  - { id: sp, dialect: tencent, api_key: k, secret: plain-0123456789abcdef }\n`;
    const c = parseConfig(text, 'c.yaml', env);
    assert.deepEqual(
      c.warnings.filter((w) => w.includes('literally')),
      ['c.yaml:7: /partners/0/secret: secret written literally in the file; use ${ENV_VAR}'],
    );
    assert.equal(c.partners[0].secret, 'plain-0123456789abcdef');
  });

  test('collects every secret for log redaction', () => {
    const text = `${base}partners:\n  - { id: sp, dialect: tencent, api_key: k, secret: s1-0123456789abcdef }\n  - { id: lp, dialect: pyun, app_id: a, app_secret: s2-0123456789abcdef }\n`;
    assert.deepEqual(collectSecrets(parseConfig(text, 'c.yaml', env)).sort(), [
      'pyun-test-secret',
      's1-0123456789abcdef',
      's2-0123456789abcdef',
    ]);
  });
});

describe('cross-field rules', () => {
  const load = (partners: string, extra = ''): string[] =>
    problemsOf(() => parseConfig(`${base}${extra}partners:\n${partners}`, 'c.yaml', env));

  test('rejects a duplicate partner id', () => {
    const problems = load(
      '  - { id: sp, dialect: tencent, api_key: k1, secret: s-0123456789abcdef }\n  - { id: sp, dialect: dianping, app_key: k2, secret: s-0123456789abcdef }\n',
    );
    assert.deepEqual(problems, ['c.yaml:8: /partners/1/id: duplicate partner id "sp" (also /partners/0/id)']);
  });

  test('rejects a key id used twice within one dialect, not across dialects', () => {
    const problems = load(
      '  - { id: a, dialect: tencent, api_key: k, secret: s-0123456789abcdef }\n  - { id: b, dialect: dianping, app_key: k, secret: s-0123456789abcdef }\n  - { id: c, dialect: tencent, api_key: k, secret: s-0123456789abcdef }\n',
    );
    assert.deepEqual(problems, [
      'c.yaml:9: /partners/2/api_key: api_key "k" is already used by /partners/0 (tencent)',
    ]);
  });

  test('rejects an unknown dialect and lists the known ones', () => {
    assert.deepEqual(load('  - { id: a, dialect: alipay, api_key: k, secret: s-0123456789abcdef }\n'), [
      'c.yaml:7: /partners/0/dialect: unknown dialect "alipay" (known: pyun, tencent, dianping)',
    ]);
  });

  test('takes the dialect list from the caller when given', () => {
    const text = `${base}partners:\n  - { id: a, dialect: alipay, api_key: k, secret: s-0123456789abcdef }\n`;
    const dialects = { alipay: { keyId: 'api_key', secret: 'secret', schemes: ['tencent-md5'] as const } };
    assert.equal(parseConfig(text, 'c.yaml', env, { dialects }).partners[0].dialect, 'alipay');
  });

  test("requires the dialect's own credential keys and refuses another dialect's", () => {
    assert.deepEqual(load('  - { id: a, dialect: pyun, api_key: k, secret: s-0123456789abcdef }\n'), [
      'c.yaml:7: /partners/0/app_id: required for a pyun partner',
      'c.yaml:7: /partners/0/app_secret: required for a pyun partner (or secrets)',
      'c.yaml:7: /partners/0/api_key: not a pyun credential (a pyun partner has app_id and app_secret)',
      'c.yaml:7: /partners/0/secret: not a pyun credential (a pyun partner has app_id and app_secret)',
    ]);
  });

  test('rejects a scheme of another dialect and an unknown scheme name', () => {
    assert.deepEqual(
      load('  - { id: a, dialect: dianping, app_key: k, secret: s-0123456789abcdef, scheme: tencent-md5 }\n'),
      [
        'c.yaml:7: /partners/0/scheme: scheme "tencent-md5" is not a dianping scheme (dianping-sha1, dianping-router-md5)',
      ],
    );
    assert.match(
      load('  - { id: a, dialect: dianping, app_key: k, secret: s-0123456789abcdef, scheme: sha256 }\n')[0],
      /\/partners\/0\/scheme: must be one of:/,
    );
  });

  test('rejects a store that is neither sqlite nor postgres, together with other problems', () => {
    const problems = problemsOf(() =>
      parseConfig(`${base}store: mysql://db/cb\nserver: { port: -1 }\n`, 'c.yaml', env),
    );
    assert.deepEqual(problems, [
      'c.yaml:7: /server/port: must be >= 0',
      'c.yaml:6: /store: "mysql://db/cb" is not sqlite:<path>, postgres://… or postgresql://…',
    ]);
  });

  test('accepts a complete set of partners of every dialect', () => {
    const c = parseConfig(
      `${base}partners:\n  - { id: sp, dialect: tencent, api_key: k, secret: s-0123456789abcdef, defaults: { park_uuid: p1 }, timestamp_unit: ms }\n  - { id: pos, dialect: dianping, app_key: k, secret: s-0123456789abcdef, scheme: dianping-router-md5 }\n  - { id: lp, dialect: pyun, app_id: a, app_secret: s-0123456789abcdef, notify: { base_url: "http://127.0.0.1:1/n" } }\n`,
      'c.yaml',
      env,
    );
    assert.deepEqual(
      c.partners.map((p) => p.id),
      ['sp', 'pos', 'lp'],
    );
    assert.deepEqual(c.partners[0].defaults, { park_uuid: 'p1' });
  });
});

describe('couponbridge.default.yaml', () => {
  const text = readFileSync(defaultsFile, 'utf8');

  test('starts with the $schema line editors use', () => {
    assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=./schemas/config/config.schema.json');
  });

  test('gives every key a one-line reason', () => {
    const uncommented = text
      .split('\n')
      .filter((l) => /^\s*[a-z_]+:\s*\S/.test(l) && !l.includes('#'))
      .filter((l) => !/^\s*retry_schedule_ms:/.test(l));
    assert.deepEqual(uncommented, []);
  });

  test('sets only keys the schema knows, with a default for every optional scalar of the schema', () => {
    // the schema as loaded: the committed part completed from the dialect registry
    const schema = buildConfigSchema(dialectDescriptors()) as Node;
    const defaults = parse(text) as Record<string, unknown>;
    const missing: string[] = [];
    const unknown: string[] = [];
    type Node = { properties?: Record<string, Node>; required?: string[]; type?: string };
    const walk = (s: Node, d: unknown, at: string): void => {
      const obj = (d ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(obj)) if (!s.properties?.[k]) unknown.push(`${at}/${k}`);
      for (const [k, sub] of Object.entries(s.properties ?? {})) {
        if (sub.properties) walk(sub, obj[k], `${at}/${k}`);
        else if (k in obj === false && (s.required ?? []).includes(k)) missing.push(`${at}/${k}`);
      }
    };
    walk(schema, defaults, '');
    assert.deepEqual(unknown, []);
    // required keys with no sensible default are the ones a deployment must write itself
    assert.deepEqual(missing.sort(), [
      '/upstreams/dianping/app_key',
      '/upstreams/dianping/secret',
      '/upstreams/pyun/app_id',
      '/upstreams/pyun/app_secret',
      '/upstreams/pyun/base_url',
      '/upstreams/tencent/api_key',
      '/upstreams/tencent/secret',
    ]);
  });
});
