/**
 * The sandbox checks signatures by its own implementation of protocols.md (src/sandbox/
 * signatures.ts), never by couponbridge's signers: here it reproduces every published vector, the
 * router scheme's rule is pinned on a literal, and no sandbox module imports a signer from src/dialects.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  dianpingRouterSign,
  dianpingSha1Sign,
  pyunFormSign,
  pyunJsonBodySign,
  sameSignature,
  tencentSign,
} from '../../src/sandbox/signatures';
import { projectRoot } from '../../src/util/paths';
import { changeOneChar, loadVectors, type Vector } from '../dialects/load-vectors';

const strings = (p: Record<string, unknown> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));

function sandboxSign(v: Vector): string {
  switch (v.scheme) {
    case 'tencent-md5':
      return tencentSign(strings(v.params), v.secret).sign;
    case 'dianping-sha1':
      return dianpingSha1Sign(strings(v.params), v.app_key!, v.secret).sign;
    case 'pyun-form-md5':
      return pyunFormSign(strings(v.params), v.secret).sign;
    case 'pyun-json-md5':
      return pyunJsonBodySign(v.body!, v.secret).sign;
    default:
      throw new Error(`no sandbox rule for ${v.scheme}`);
  }
}

describe('sandbox signatures (independent of src/dialects)', () => {
  const vectors = loadVectors();

  test('reproduce every published vector', () => {
    assert.ok(vectors.length >= 6);
    for (const v of vectors) assert.equal(sandboxSign(v), v.sign, v.id);
  });

  test('a changed value or a wrong secret no longer matches', () => {
    for (const v of vectors) {
      const changed: Vector =
        v.body !== undefined
          ? { ...v, body: changeOneChar(v.body) }
          : {
              ...v,
              params: {
                ...v.params,
                [Object.keys(v.params!)[0]]: changeOneChar(String(Object.values(v.params!)[0])),
              },
            };
      assert.equal(sameSignature(sandboxSign(changed), v.sign), false, `${v.id}: changed value`);
      assert.equal(
        sameSignature(sandboxSign({ ...v, secret: `${v.secret}x` }), v.sign),
        false,
        `${v.id}: secret`,
      );
      assert.equal(sameSignature(v.sign.toLowerCase(), v.sign), true, 'hex compares case-insensitively');
    }
  });

  test('the masked string-to-sign hides the secret', () => {
    const s = pyunFormSign({ app_id: 'a', b: '', c: '3', sign: 'X' }, 'top-secret');
    assert.equal(s.masked, 'app_id=a&c=3&app_secret=***');
    assert.equal(tencentSign({ b: '', a: '1', sign: 'X' }, 'top-secret').masked, 'a=1&b=***');
    assert.equal(
      dianpingSha1Sign({ b: '', a: '1', appkey: 'k', sign: 'X' }, 'k', 'top-secret').masked,
      'ka1b***',
    );
  });

  test('the Dianping router rule: lower-case md5(secret + sorted kv + secret), sign and empty values left out', () => {
    const params = {
      v: '1',
      app_key: 'k1',
      timestamp: '2024-03-01 10:15:30',
      format: 'json',
      empty: '',
      sign: 'x',
    };
    const literal = createHash('md5')
      .update('s3cretapp_keyk1formatjsontimestamp2024-03-01 10:15:30v1s3cret', 'utf8')
      .digest('hex');
    assert.equal(dianpingRouterSign(params, 's3cret').sign, literal);
  });

  test('no sandbox module imports a signer from src/dialects', () => {
    const dir = join(projectRoot(), 'src', 'sandbox');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, name), 'utf8');
      assert.doesNotMatch(
        text,
        /dialects[^\n]*signer|\b(?:pyunFormMd5|pyunJsonMd5|tencentMd5|dianpingSha1|dianpingRouterMd5)\b/,
        name,
      );
      assert.doesNotMatch(
        text,
        /dialects\.\w+\.(?:verify|buildRequest)\(|getScheme\(/,
        `${name} signs or verifies through src/dialects`,
      );
    }
    assert.doesNotMatch(
      readFileSync(join(dir, 'signatures.ts'), 'utf8'),
      /from '\.\.\//,
      'signatures.ts imports nothing of couponbridge',
    );
  });
});
