import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getScheme, isSchemeName } from '../../src/dialects/index';
import { changeOneChar, loadVectors } from './load-vectors';

const vectors = loadVectors();

describe('published signature vectors (library)', () => {
  test('names a registered scheme in every vector', () => {
    assert.ok(vectors.length >= 6);
    for (const v of vectors) assert.ok(isSchemeName(v.scheme), `${v.id}: ${v.scheme}`);
  });

  for (const v of vectors) {
    const input = { params: v.params, body: v.body, appKey: v.app_key };

    test(`${v.id}: sign reproduces the published signature`, () => {
      const signature = getScheme(v.scheme).sign(input, v.secret);
      assert.equal(signature.sign, v.sign);
      assert.ok(
        !signature.maskedStringToSign.includes(v.secret),
        'masked string must not contain the secret',
      );
      assert.ok(signature.stringToSign.includes(v.secret));
    });

    test(`${v.id}: verify accepts the published signature in upper and lower case`, () => {
      assert.deepEqual(getScheme(v.scheme).verify(input, v.secret, v.sign), { ok: true });
      assert.deepEqual(getScheme(v.scheme).verify(input, v.secret, v.sign.toLowerCase()), { ok: true });
    });

    test(`${v.id}: verify fails when one character of the signed data changes`, () => {
      const variants: Array<typeof input> = [];
      if (v.body !== undefined) variants.push({ ...input, body: changeOneChar(v.body) });
      for (const [key, value] of Object.entries(v.params ?? {})) {
        variants.push({ ...input, params: { ...v.params, [key]: changeOneChar(String(value)) } });
      }
      assert.ok(variants.length > 0);
      for (const changed of variants) {
        const outcome = getScheme(v.scheme).verify(changed, v.secret, v.sign);
        assert.equal(outcome.ok, false, JSON.stringify(changed));
      }
    });
  }
});
