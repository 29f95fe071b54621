/**
 * Structural redaction (log.ts redactBody): the journal's bodies redacted by their layout. It must
 * hide at least what the text scan (redactText) hides — pinned by the seed messages, on which both
 * agree to the byte — and also what the scan cannot see: fields that appear twice, sensitive values
 * of any type, and JSON or form text carried inside a string (escaped or percent-encoded).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { redactBody, redactText } from '../src/log';
import { JOURNAL_TEXT_MAX, journalText } from '../src/ledger/journal';
import type { Runtime } from '../src/runtime';

const SECRET = 'structural-test-secret-01';
const opts = { secrets: [SECRET], maskPlates: true };

describe('redactBody: JSON', () => {
  test('masks sign, secrets, phones and plates, a field that appears twice, and escaped JSON in a string', () => {
    const body = JSON.stringify({
      api_key: 'K1',
      sign: '8A983278E5366EB93FEB0D4143E1C522',
      user: { mobile_phone: '13911112222', password: 'p4ss' },
      note: 'call 13800001111',
      app_secret: 123,
      // Tencent's extra: a JSON text inside a string
      extra: JSON.stringify({ plate: '粤B12345', sign: 'ABCDEF', tel: '13722223333' }),
      list: [{ Authorization: 'Bearer abc' }],
      echo: `key=${SECRET}`,
      empty: { sign: '' },
    }).replace('"api_key":"K1",', '"api_key":"K1","sign":"0F0F0F0F",');
    assert.equal(
      redactBody(body, 'json', opts),
      '{"api_key":"K1","sign":"[redacted]","sign":"[redacted]",' +
        '"user":{"mobile_phone":"139****2222","password":"[redacted]"},' +
        '"note":"call 138****1111","app_secret":"[redacted]",' +
        '"extra":"{\\"plate\\":\\"粤B***45\\",\\"sign\\":\\"[redacted]\\",\\"tel\\":\\"137****3333\\"}",' +
        '"list":[{"Authorization":"[redacted]"}],"echo":"key=***","empty":{"sign":""}}',
    );
  });

  test('a sensitive key hides an object or array value whole; a phone key masks whatever it holds', () => {
    assert.equal(
      redactBody('{"secret":{"a":"13911112222"},"sign":["x","y"],"mobile":"enc123456789","n":null}', 'json'),
      '{"secret":"[redacted]","sign":"[redacted]","mobile":"enc****6789","n":null}',
    );
  });

  test('JSON nested twice inside strings is redacted at every level', () => {
    const inner = JSON.stringify({ sign: 'DEADBEEF', mobile: '13911112222' });
    const body = JSON.stringify({ outer: JSON.stringify({ inner }) });
    const out = redactBody(body, 'json');
    assert.ok(!out.includes('DEADBEEF') && !out.includes('13911112222'), out);
    const decoded = JSON.parse(JSON.parse(JSON.parse(out).outer as string).inner as string);
    assert.deepEqual(decoded, { sign: '[redacted]', mobile: '139****2222' });
  });

  test('plates only when configured; a phone number in a key or a number is masked as the scan does', () => {
    const body = '{"plate":"粤B660PP","13911112222":1,"n":13722223333}';
    assert.equal(redactBody(body, 'json'), '{"plate":"粤B660PP","139****2222":1,"n":137****3333}');
    assert.equal(
      redactBody(body, 'json', { maskPlates: true }),
      '{"plate":"粤B***PP","139****2222":1,"n":137****3333}',
    );
  });

  test('a text that is not well-formed JSON is scanned as free text', () => {
    for (const bad of ['{"sign":"abc", broken', '{"sign":"abc"}}', '["a" "b"]', '{"a":1,}x']) {
      assert.equal(redactBody(bad, 'json', opts), redactText(bad, opts), bad);
    }
    assert.equal(redactBody('{"sign":"abc", broken', 'json'), '{"sign":"[redacted]", broken');
    // nested beyond the stack (a hostile answer): scanned, not thrown
    const deep = `${'['.repeat(200_000)}"13911112222"${']'.repeat(200_000)}`;
    assert.ok(redactBody(deep, 'json').includes('"139****2222"'));
  });
});

describe('redactBody: form and query', () => {
  test('Dianping form: sign twice, mobile, percent-encoded JSON in couponCode, encoded plate', () => {
    const couponCode = encodeURIComponent(JSON.stringify({ sign: 'FFEE', tel: '13722223333' }));
    const body =
      `appkey=pos&sign=ABCDEF0123&mobile=13911112222&couponCode=${couponCode}&sign=SECOND` +
      `&plate=${encodeURIComponent('粤B660PP')}&note=a+b&secret_key=&x=${SECRET}`;
    assert.equal(
      redactBody(body, 'form', opts),
      'appkey=pos&sign=[redacted]&mobile=139****2222' +
        '&couponCode=%7B%22sign%22%3A%22%5Bredacted%5D%22%2C%22tel%22%3A%22137****3333%22%7D' +
        '&sign=[redacted]&plate=%E7%B2%A4B***PP&note=a+b&secret_key=&x=***',
    );
  });

  test('query of a URL: sign, an encoded phone the scan cannot see, an encrypted mobile', () => {
    const url =
      'https://pos.example/api/consume?appkey=x&sign=FFEE&couponCode=%5B%2213911112222%22%5D&mobile=enc123456789';
    assert.equal(
      redactBody(url, 'url'),
      'https://pos.example/api/consume?appkey=x&sign=[redacted]&couponCode=%5B%22139****2222%22%5D&mobile=enc****6789',
    );
    // the same phone number glued to encoded quotes is a 13-digit run to the scan
    assert.ok(redactText(url).includes('13911112222'));
    assert.equal(redactBody('/plain/path/13911112222', 'url'), '/plain/path/139****2222');
  });

  test('keys the scan reads differently, bad escapes and JSON sent as a form are redacted as the scan does', () => {
    for (const body of ['x=%ZZ&sign=1', 'app%ZZsecret=v', '{"sign":"abc"}', 'k y=1&sign=2']) {
      const out = redactBody(body, 'form');
      const scanned = redactText(body);
      assert.equal(out, scanned, body);
    }
    // a form inside a value: the scan reads `1?sign=2` as a's value and misses the sign
    assert.equal(redactText('a=1?sign=2&b=3'), 'a=1?sign=2&b=3');
    assert.equal(redactBody('a=1?sign=2&b=3', 'form'), 'a=1%3Fsign%3D%5Bredacted%5D&b=3');
  });
});

describe('journal text', () => {
  const rt = { secrets: [SECRET], config: { log: { mask_plates: true } } } as unknown as Runtime;

  test('an oversized body is redacted before it is cut: no head of a signature or phone is left', () => {
    // the signature and the phone number stand across the 16 KiB cut
    const pad = 'a'.repeat(JOURNAL_TEXT_MAX - '{"pad":"'.length - '","sign":"0123'.length);
    const body = `{"pad":"${pad}","sign":"0123456789ABCDEF0123456789ABCDEF","x":1}`;
    const out = journalText(rt, Buffer.from(body), 'json');
    assert.ok(!out.includes('"0123'), out.slice(-40));
    assert.ok(out.endsWith(`…(${body.length} bytes)`), out.slice(-40));
    const form = `${'p='.padEnd(JOURNAL_TEXT_MAX - 12, 'b')}&tel=13911112222&z=1`;
    const cut = journalText(rt, form, 'form');
    assert.ok(cut.endsWith(`&tel=139****…(${form.length} bytes)`), cut.slice(-40));
  });

  test('the seed messages are redacted to the byte as the text scan redacts them', () => {
    const root = join(__dirname, 'fixtures', 'seeds');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const f of readdirSync(d))
        (statSync(join(d, f)).isDirectory() ? walk : files.push.bind(files))(join(d, f));
    };
    walk(root);
    assert.ok(files.length > 30, `${files.length} seed files`);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const maskPlates of [false, true]) {
        const o = { secrets: [SECRET], maskPlates };
        assert.equal(redactBody(text, f.endsWith('.json') ? 'json' : 'text', o), redactText(text, o), f);
      }
    }
  });
});
