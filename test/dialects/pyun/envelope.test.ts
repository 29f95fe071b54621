import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from '../../../src/dialects/index';

const { envelope } = dialects.pyun;

describe('pyun envelope', () => {
  test('success is code "1001", 操作成功 and a 16-hex seqno, payload only when given', () => {
    const a = envelope.success();
    assert.equal(a.status, 200);
    assert.equal(a.contentType, 'application/json; charset=utf-8');
    const body = JSON.parse(a.body);
    assert.deepEqual(Object.keys(body), ['code', 'message', 'seqno']);
    assert.equal(body.code, '1001');
    assert.equal(body.message, '操作成功');
    assert.match(body.seqno, /^[0-9a-f]{16}$/);
    const b = JSON.parse(envelope.success({ grant_serial: 'g1' }, '派发成功').body);
    assert.deepEqual(
      { ...b, seqno: undefined },
      { code: '1001', message: '派发成功', payload: { grant_serial: 'g1' }, seqno: undefined },
    );
  });

  test('draws a new seqno for every answer', () => {
    assert.notEqual(JSON.parse(envelope.success().body).seqno, JSON.parse(envelope.success().body).seqno);
  });

  test('error writes the code as a string with message, hint and seqno, and the given HTTP status', () => {
    const a = envelope.error(
      { code: 1401, message: '签名错误', hint: 'string-to-sign: a=1&app_secret=***' },
      401,
    );
    assert.equal(a.status, 401);
    const body = JSON.parse(a.body);
    assert.deepEqual(Object.keys(body), ['code', 'message', 'hint', 'seqno']);
    assert.equal(body.code, '1401');
    assert.equal(body.hint, 'string-to-sign: a=1&app_secret=***');
    assert.deepEqual(Object.keys(JSON.parse(envelope.error({ code: '1400', message: 'x' }).body)), [
      'code',
      'message',
      'seqno',
    ]);
  });

  test('reads answers: success, code and message, from objects or text', () => {
    const answer = { code: '1001', message: '核销成功', seqno: 'x' };
    assert.equal(envelope.isSuccess(answer), true);
    assert.equal(envelope.isSuccess(JSON.stringify(answer)), true);
    assert.equal(envelope.isSuccess({ code: '1403' }), false);
    assert.equal(envelope.codeOf({ code: 1500 }), '1500');
    assert.equal(envelope.messageOf(answer), '核销成功');
  });

  test('tolerates garbage', () => {
    for (const garbage of [undefined, null, 42, 'not json', '[1]', [], { code: { x: 1 } }]) {
      assert.equal(envelope.isSuccess(garbage), false);
      assert.equal(envelope.codeOf(garbage), undefined);
      assert.equal(envelope.messageOf(garbage), undefined);
    }
  });
});
