import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { getScheme } from '../../../src/dialects/index';

const sha1 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
const classic = getScheme('dianping-sha1');
const router = getScheme('dianping-router-md5');

describe('dianping-sha1', () => {
  test('wraps sorted k1v1k2v2 between the appKey and the secret, leaving out appkey and sign', () => {
    const params = { orderId: 'o1', appkey: 'AK', couponCode: '["DP85","DP95"]', sign: 'OLD' };
    const s = classic.sign({ params, appKey: 'AK' }, 'sec');
    assert.equal(s.stringToSign, 'AKcouponCode["DP85","DP95"]orderIdo1sec');
    assert.equal(s.sign, sha1('AKcouponCode["DP85","DP95"]orderIdo1sec'));
    assert.equal(s.maskedStringToSign, 'AKcouponCode["DP85","DP95"]orderIdo1***');
  });

  test('signs an empty value as the bare key by default, and drops it with emptyValues skip', () => {
    assert.equal(
      classic.sign({ params: { comments: '', a: '1' }, appKey: 'AK' }, 's').stringToSign,
      'AKa1commentss',
    );
    assert.equal(
      classic.sign({ params: { comments: '', a: '1' }, appKey: 'AK' }, 's', { emptyValues: 'skip' })
        .stringToSign,
      'AKa1s',
    );
  });

  test('requires the appKey', () => {
    assert.throws(() => classic.sign({ params: { a: '1' } }, 's'), /appKey must be a non-empty string/);
    assert.throws(
      () => classic.sign({ params: { a: '1' }, appKey: '' }, 's'),
      /appKey must be a non-empty string/,
    );
  });
});

describe('dianping-router-md5', () => {
  test('is lower-case md5(secret + sorted k1v1… + secret) over every parameter except sign', () => {
    const params = {
      v: '1',
      app_key: 'AK',
      format: 'json',
      sign_method: 'MD5',
      timestamp: '2024-01-02 03:04:05',
      sign: 'x',
    };
    const s = router.sign({ params }, 'sec');
    const expected = 'secapp_keyAKformatjsonsign_methodMD5timestamp2024-01-02 03:04:05v1sec';
    assert.equal(s.stringToSign, expected);
    assert.equal(s.sign, md5(expected));
    assert.equal(
      s.maskedStringToSign,
      '***app_keyAKformatjsonsign_methodMD5timestamp2024-01-02 03:04:05v1***',
    );
  });

  test('skips empty values by default', () => {
    assert.equal(router.sign({ params: { session: '', a: '1' } }, 's').stringToSign, 'sa1s');
  });

  test('both schemes name themselves when there are no parameters to sign', () => {
    assert.throws(() => router.sign({ body: 'x' }, 's'), {
      message: 'scheme dianping-router-md5 signs parameters: params must be an object',
    });
    assert.throws(() => classic.sign({ body: 'x', appKey: 'AK' }, 's'), {
      message: 'scheme dianping-sha1 signs parameters: params must be an object',
    });
  });

  test('verify accepts the upper-case form of its lower-case signature', () => {
    const sign = router.sign({ params: { a: '1' } }, 's').sign;
    assert.deepEqual(router.verify({ params: { a: '1' } }, 's', sign.toUpperCase()), { ok: true });
  });
});
