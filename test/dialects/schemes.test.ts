import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getScheme, isSchemeName, schemeNames, schemes } from '../../src/dialects/index';

describe('scheme registry', () => {
  test('holds the six schemes, each under its own name', () => {
    assert.deepEqual([...schemeNames].sort(), [
      'dianping-router-md5',
      'dianping-sha1',
      'pyun-form-md5',
      'pyun-json-md5',
      'pyun-json-push-md5',
      'tencent-md5',
    ]);
    for (const name of schemeNames) assert.equal(schemes[name].name, name);
  });

  test('getScheme rejects an unknown name and lists the known ones', () => {
    assert.throws(
      () => getScheme('md5'),
      (e: Error) =>
        e.message.includes('unknown signature scheme "md5"') &&
        schemeNames.every((n) => e.message.includes(n)),
    );
  });

  test('getScheme does not resolve inherited object keys', () => {
    assert.throws(() => getScheme('toString'), /unknown signature scheme/);
    assert.equal(isSchemeName('constructor'), false);
  });

  test('getScheme returns the scheme for a known name', () => {
    assert.equal(getScheme('tencent-md5'), schemes['tencent-md5']);
  });
});
