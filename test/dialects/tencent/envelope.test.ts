import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from '../../../src/dialects/index';

const { envelope } = dialects.tencent;

describe('tencent envelope', () => {
  test('success is exactly {"code":0,"message":"successful"} with data only when given', () => {
    assert.equal(envelope.success().body, '{"code":0,"message":"successful"}');
    assert.equal(
      envelope.success({ coupon_id: 'c1' }).body,
      '{"code":0,"message":"successful","data":{"coupon_id":"c1"}}',
    );
    assert.equal(envelope.success().status, 200);
  });

  test('error writes an integer code and folds the hint into the message', () => {
    const a = envelope.error(
      { code: '400005', message: 'signature check failed', hint: 'string-to-sign: a=1***' },
      401,
    );
    assert.equal(a.status, 401);
    assert.equal(a.body, '{"code":400005,"message":"signature check failed (string-to-sign: a=1***)"}');
    assert.equal(envelope.error({ code: 400000, message: 'bad' }).body, '{"code":400000,"message":"bad"}');
  });

  test('answers a non-numeric code as 500000, keeping it in the message', () => {
    assert.equal(envelope.error({ code: 'E1', message: 'x' }).body, '{"code":500000,"message":"[E1] x"}');
  });

  test('reads answers and tolerates garbage', () => {
    assert.equal(envelope.isSuccess({ code: 0, message: 'successful' }), true);
    assert.equal(envelope.isSuccess('{"code":0}'), true);
    assert.equal(envelope.isSuccess({ code: 400003 }), false);
    assert.equal(envelope.codeOf({ code: 400003 }), '400003');
    assert.equal(envelope.messageOf({ code: 1, message: 'm' }), 'm');
    for (const garbage of [null, 'oops', { code: null }, [0]]) {
      assert.equal(envelope.isSuccess(garbage), false);
      assert.equal(envelope.codeOf(garbage), undefined);
    }
  });
});
