// The repository carries its own copy of the published signature vectors (a user's clone has
// nothing beside it). This pins the copy to the documented values: each vector's id, scheme and
// published signature, written here literally, so an edited or truncated fixture fails.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadVectors } from './load-vectors';

const PUBLISHED: Record<string, { scheme: string; sign: string }> = {
  'tencent-doc-example': { scheme: 'tencent-md5', sign: '8A983278E5366EB93FEB0D4143E1C522' },
  'dianping-doc-example': { scheme: 'dianping-sha1', sign: '7D78381BC58E1DB1DBA4BD965916FE6B4D5DC892' },
  'pyun-readme-example': { scheme: 'pyun-form-md5', sign: 'C983693C5F603AEF30514920FA3158FF' },
  'pyun-mcoupon-grant-example': { scheme: 'pyun-form-md5', sign: '756E3F88FBDB2B82E0A6C37C5EE060E5' },
  'pyun-payment-push-example': { scheme: 'pyun-form-md5', sign: 'B1BAA9B6C83DB3E0C50F84B7B54AC848' },
  'pyun-json-body-example': { scheme: 'pyun-json-md5', sign: '55D9BC675B3B042A015895FA9F9D037B' },
};

describe('test/fixtures/vectors.json', () => {
  test('holds exactly the published vectors with their documented signatures', () => {
    const vectors = loadVectors();
    assert.deepEqual(
      Object.fromEntries(vectors.map((v) => [v.id, { scheme: v.scheme, sign: v.sign }])),
      PUBLISHED,
    );
  });
});
