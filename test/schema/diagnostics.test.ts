import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostics, toDiagnostics, type Diagnostic } from '../../src/schema/diagnostics';
import { loadSchemaRegistry } from '../../src/schema/registry';

const registry = loadSchemaRegistry();

describe('formatDiagnostics', () => {
  test('joins path and message with "; " and shows the root as "/"', () => {
    const d: Diagnostic[] = [
      {
        path: '/coupon_status',
        rule: 'enum',
        message: 'must be equal to one of the allowed values (1, 2, 3)',
      },
      { path: '', rule: 'type', message: 'must be object' },
    ];
    assert.equal(
      formatDiagnostics(d),
      '/coupon_status: must be equal to one of the allowed values (1, 2, 3); /: must be object',
    );
    assert.equal(formatDiagnostics([]), '');
  });
});

describe('toDiagnostics', () => {
  test('points a required error at the missing property and escapes it as a JSON pointer', () => {
    const d = toDiagnostics([
      {
        keyword: 'required',
        instancePath: '/data',
        schemaPath: '#/required',
        params: { missingProperty: 'a/b~c' },
      },
    ]);
    assert.deepEqual(d, [{ path: '/data/a~1b~0c', rule: 'required', message: 'is required' }]);
  });

  test('prefixes every path, for decoded JSON-string content', () => {
    const d = toDiagnostics(
      [
        {
          keyword: 'type',
          instancePath: '/0',
          schemaPath: '#/items/type',
          params: { type: 'string,integer' },
        },
      ],
      '/mcoupons (decoded)',
    );
    assert.deepEqual(d, [
      { path: '/mcoupons (decoded)/0', rule: 'type', message: 'must be string or integer' },
    ]);
  });

  test('drops the if error and keeps the failing then branch', () => {
    const d = registry.validate('dianping/consume-coupon.response', { status: 'error', code: '3001001' });
    assert.deepEqual(d, [{ path: '/message', rule: 'required', message: 'is required' }]);
  });

  test('names the limit for maxLength and never echoes the received value', () => {
    const secret = '13911112222-and-more-personal-data';
    const text = formatDiagnostics(
      registry.validate('tencent/coupon-receive.request', {
        api_key: 'k',
        seq_id: 's',
        timestamp: 1572342076,
        nonce: 'n',
        sign: '8A983278E5366EB93FEB0D4143E1C522',
        app_channel_id: 1,
        user_code: secret,
        stock_id: 'test001',
        request_id: secret,
      }),
    );
    assert.equal(
      text,
      '/user_code: must NOT have more than 32 characters; /request_id: must NOT have more than 32 characters',
    );
    assert.ok(!text.includes(secret));
  });
});
