import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CbError } from '../../../src/errors';
import { parseJsonObject } from '../../../src/dialects/shared/json';

const malformed = (pattern: RegExp) => (e: unknown) =>
  e instanceof CbError && e.code === 'CB_BODY_MALFORMED' && pattern.test(e.detail);

describe('JSON bodies and their signing view', () => {
  test('keeps numbers as their original text (1.50, 1e3, big integers)', () => {
    const v = parseJsonObject('{"a":1.50,"b":1e3,"c":12345678901234567890,"d":-0}');
    assert.deepEqual(v.signingParams, { a: '1.50', b: '1e3', c: '12345678901234567890', d: '-0' });
    assert.equal(v.fields.a, 1.5);
  });

  test('gives strings decoded, escapes and Chinese included', () => {
    const v = parseJsonObject('{"s":"a\\"b\\\\c\\u4e2d","t":"粤B"}');
    assert.deepEqual(v.signingParams, { s: 'a"b\\c中', t: '粤B' });
  });

  test('writes nested objects and arrays as compact raw text, keeping key order and string spaces', () => {
    const raw = '{ "coupons" : [ { "stock_id" : "a b", "n" : 1.0 } , 2 ],\n\t"o": { "z": { }, "a": [ ] } }';
    const v = parseJsonObject(raw);
    assert.deepEqual(v.signingParams, { coupons: '[{"stock_id":"a b","n":1.0},2]', o: '{"z":{},"a":[]}' });
  });

  test('sorts nested keys recursively on request, keeping number text', () => {
    const v = parseJsonObject('{"o":{"b":1.50,"a":{"d":1,"c":[{"y":1,"x":2}]}}}', { sortNested: true });
    assert.equal(v.signingParams.o, '{"a":{"c":[{"x":2,"y":1}],"d":1},"b":1.50}');
  });

  test('keeps booleans, leaves out null, and signs "" as an empty string', () => {
    const v = parseJsonObject('{"t":true,"f":false,"n":null,"e":""}');
    assert.deepEqual(v.signingParams, { t: 'true', f: 'false', e: '' });
  });

  test('keeps the last of repeated keys, like JSON.parse', () => {
    const v = parseJsonObject('{"a":"1","a":"2","b":"x","b":null}');
    assert.deepEqual(v.signingParams, { a: '2' });
    assert.deepEqual(v.fields, { a: '2', b: null });
  });

  test('handles a string containing braces, brackets and commas', () => {
    const v = parseJsonObject('{"extra":"{\\"plate\\":\\"粤B1\\"}, [x]","n":1}');
    assert.deepEqual(v.signingParams, { extra: '{"plate":"粤B1"}, [x]', n: '1' });
  });

  test('rejects invalid JSON, an empty body and non-object roots precisely', () => {
    assert.throws(() => parseJsonObject('{"a":'), malformed(/^invalid JSON: /));
    assert.throws(() => parseJsonObject('  '), malformed(/empty body/));
    assert.throws(() => parseJsonObject('[1]'), malformed(/must be an object, got an array/));
    assert.throws(() => parseJsonObject('"x"'), malformed(/got string/));
    assert.throws(() => parseJsonObject('null'), malformed(/got null/));
  });

  test('gives nested values as JSON.stringify would write them, however the body is indented', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.integer({ min: 0, max: 4 }),
        (obj, indent) => {
          const view = parseJsonObject(JSON.stringify(obj, null, indent));
          for (const [key, value] of Object.entries(obj)) {
            if (value === null) assert.ok(!Object.hasOwn(view.signingParams, key));
            else if (typeof value === 'string') assert.equal(view.signingParams[key], value);
            else assert.equal(view.signingParams[key], JSON.stringify(value));
          }
        },
      ),
    );
  });
});
