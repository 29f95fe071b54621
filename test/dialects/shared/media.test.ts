import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CbError } from '../../../src/errors';
import { bodyText, declaredKind } from '../../../src/dialects/shared/media';

const code = (c: string, pattern: RegExp) => (e: unknown) =>
  e instanceof CbError && e.code === c && pattern.test(e.detail);

describe('content types and body text', () => {
  test('recognises JSON and form types with UTF-8 charsets, case-insensitively', () => {
    assert.equal(declaredKind({ 'content-type': 'application/json' }, ['json']), 'json');
    assert.equal(declaredKind({ 'content-type': 'Application/JSON; charset="UTF-8"' }, ['json']), 'json');
    assert.equal(declaredKind({ 'content-type': 'application/vnd.x+json' }, ['json']), 'json');
    assert.equal(
      declaredKind({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, ['form', 'json']),
      'form',
    );
  });

  test('returns undefined when no Content-Type is sent', () => {
    assert.equal(declaredKind({}, ['json']), undefined);
  });

  test('refuses a type the dialect does not take, naming what it expects', () => {
    assert.throws(
      () => declaredKind({ 'content-type': 'text/plain' }, ['json']),
      code('CB_UNSUPPORTED_MEDIA_TYPE', /text\/plain not accepted here; expected application\/json/),
    );
    assert.throws(
      () => declaredKind({ 'content-type': 'application/json' }, ['form']),
      code('CB_UNSUPPORTED_MEDIA_TYPE', /expected application\/x-www-form-urlencoded/),
    );
  });

  test('refuses a charset other than UTF-8', () => {
    assert.throws(
      () => declaredKind({ 'content-type': 'application/x-www-form-urlencoded; charset=GBK' }, ['form']),
      code('CB_UNSUPPORTED_MEDIA_TYPE', /charset gbk not supported/),
    );
  });

  test('decodes UTF-8 and rejects invalid bytes as a malformed body', () => {
    assert.equal(bodyText(Buffer.from('粤B', 'utf8')), '粤B');
    assert.throws(
      () => bodyText(Buffer.from([0x7b, 0xff, 0x7d])),
      code('CB_BODY_MALFORMED', /not valid UTF-8/),
    );
  });
});
