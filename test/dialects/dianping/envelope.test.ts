import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from '../../../src/dialects/index';

const { envelope } = dialects.dianping;

describe('dianping envelope', () => {
  test('success is exactly {"status":"success"}', () => {
    assert.equal(envelope.success().body, '{"status":"success"}');
    assert.equal(envelope.success({ ignored: true }).body, '{"status":"success"}');
  });

  test('error is {"status":"error","code":"<string>","message"} with the hint folded in', () => {
    assert.equal(
      envelope.error({ code: 3001001, message: '订单号重复' }).body,
      '{"status":"error","code":"3001001","message":"订单号重复"}',
    );
    const a = envelope.error(
      { code: '3009008', message: 'signature check failed', hint: 'string-to-sign: AK***' },
      401,
    );
    assert.equal(a.status, 401);
    assert.equal(JSON.parse(a.body).message, 'signature check failed (string-to-sign: AK***)');
  });

  test('reads answers: success as "success", errors by their code', () => {
    assert.equal(envelope.isSuccess({ status: 'success' }), true);
    assert.equal(envelope.codeOf({ status: 'success' }), 'success');
    assert.equal(envelope.codeOf('{"status":"error","code":"3001002","message":"m"}'), '3001002');
    assert.equal(envelope.messageOf({ status: 'error', code: '3001002', message: 'm' }), 'm');
    assert.equal(envelope.isSuccess({ status: 'error', code: '3001001' }), false);
  });

  test('tolerates garbage', () => {
    for (const garbage of [null, '<html>', 7, { status: 1 }]) {
      assert.equal(envelope.isSuccess(garbage), false);
      assert.equal(envelope.codeOf(garbage), undefined);
    }
  });
});
