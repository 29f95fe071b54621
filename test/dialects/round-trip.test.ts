import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dialects } from '../../src/dialects/index';
import type { BodyEncoding, Credentials, Dialect } from '../../src/dialects/types';
import { received } from './raw-request';

const cases: Array<{ dialect: Dialect; creds: Credentials; method: 'GET' | 'POST'; encoding: BodyEncoding }> =
  [
    {
      dialect: dialects.pyun,
      creds: { keyId: 'op1', secret: 's1', scheme: 'pyun-form-md5' },
      method: 'POST',
      encoding: 'form',
    },
    {
      dialect: dialects.pyun,
      creds: { keyId: 'op1', secret: 's1', scheme: 'pyun-json-md5' },
      method: 'POST',
      encoding: 'json',
    },
    {
      dialect: dialects.pyun,
      creds: { keyId: 'op1', secret: 's1', scheme: 'pyun-form-md5' },
      method: 'GET',
      encoding: 'query',
    },
    {
      dialect: dialects.tencent,
      creds: { keyId: 'K', secret: 's2', scheme: 'tencent-md5' },
      method: 'POST',
      encoding: 'json',
    },
    {
      dialect: dialects.dianping,
      creds: { keyId: 'AK', secret: 's3', scheme: 'dianping-sha1' },
      method: 'GET',
      encoding: 'query',
    },
    {
      dialect: dialects.dianping,
      creds: { keyId: 'AK', secret: 's3', scheme: 'dianping-sha1' },
      method: 'POST',
      encoding: 'form',
    },
    {
      dialect: dialects.dianping,
      creds: { keyId: 'AK', secret: 's3', scheme: 'dianping-router-md5' },
      method: 'POST',
      encoding: 'form',
    },
  ];

describe('buildRequest → parse → identify → verify for any business fields', () => {
  for (const c of cases) {
    test(`${c.dialect.name} ${c.method} ${c.encoding} with ${c.creds.scheme}`, () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue()), (fields) => {
          const out = c.dialect.buildRequest(
            { method: c.method, path: '/p', encoding: c.encoding },
            fields,
            c.creds,
          );
          const raw = received(out);
          const msg = c.dialect.parse(raw);
          assert.equal(c.dialect.identify(msg, raw), c.creds.keyId);
          assert.deepEqual(c.dialect.verify(msg, raw, c.creds), { ok: true });
        }),
        { numRuns: 200 },
      );
    });
  }
});
