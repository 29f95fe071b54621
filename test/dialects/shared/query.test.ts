import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, withQuery } from '../../../src/dialects/shared/query';

describe('query strings', () => {
  test('parses like a form, with or without a leading ?', () => {
    assert.deepEqual(parseQuery('?shopName=%E8%82%AF+D&n=1'), { shopName: '肯 D', n: '1' });
    assert.deepEqual(parseQuery('a=1'), { a: '1' });
    assert.deepEqual(parseQuery(''), {});
  });

  test('appends to a path with ? or, when it already has a query, with &', () => {
    assert.equal(withQuery('/api/x', { a: '1 2' }), '/api/x?a=1+2');
    assert.equal(withQuery('/api/x?v=1', { a: '1' }), '/api/x?v=1&a=1');
    assert.equal(withQuery('/api/x', {}), '/api/x');
  });
});
