import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { REDACTED, createLogger, redact, redactText } from '../src/log';

describe('redact', () => {
  test('blanks sign, secret-like, authorization and password values at any depth', () => {
    const out = redact({
      sign: 'C983693C5F603AEF30514920FA3158FF',
      sign_type: 'MD5',
      upstream: {
        app_secret: 'x1',
        headers: { Authorization: 'abc' },
        list: [{ client_secret: 'x2', password: 'p' }],
      },
      my_secret_key: 'x3',
    });
    assert.deepEqual(out, {
      sign: REDACTED,
      sign_type: 'MD5',
      upstream: {
        app_secret: REDACTED,
        headers: { Authorization: REDACTED },
        list: [{ client_secret: REDACTED, password: REDACTED }],
      },
      my_secret_key: REDACTED,
    });
  });

  test('never mangles ordinary words: strings shorter than a valid secret are not redacted', () => {
    const routes = 'dianping.consume-extend-coupon, tencent.sp-coupon-receive';
    // the startup line of issue 12: a one-character "secret" turned consume-extend into consume-e***tend
    for (const secret of ['x', 'e', 'coupon', 'consume-extend'])
      assert.equal(redactText(routes, { secrets: [secret] }), routes, secret);
  });

  test('a secret glued to other text (the end of a string-to-sign) is still hidden', () => {
    const secret = 'S3cr3t-rotation-0001';
    assert.equal(redactText(`a=1&b=2${secret}`, { secrets: [secret] }), 'a=1&b=2***');
  });

  test('a function gives the current secrets (credentials reloaded at run time)', async () => {
    let secrets = ['first-secret-value-0001'];
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    const log = createLogger({ level: 'error', secrets: () => secrets, stream });
    secrets = ['second-secret-value-002'];
    log.error('rotated to second-secret-value-002');
    await new Promise((r) => setImmediate(r));
    assert.equal((JSON.parse(text) as { message: string }).message, 'rotated to ***');
  });

  test('replaces every occurrence of a known secret inside text', () => {
    const out = redact(
      {
        stringToSign: 'a=1&b=2&app_secret=e9ae5402dbabc68c',
        note: 'key e9ae5402dbabc68c and e9ae5402dbabc68c',
      },
      { secrets: ['e9ae5402dbabc68c'] },
    );
    assert.deepEqual(out, { stringToSign: 'a=1&b=2&app_secret=[redacted]', note: 'key *** and ***' });
  });

  test('blanks sensitive fields inside JSON and form bodies carried as strings', () => {
    const out = redact({
      body: '{"api_key":"K","sign":"8A98","nested":{"secret":"zz"},"mobile_phone":"enc0123456789"}',
      form: 'app_id=op1&sign=C98&timestamp=1&app_secret=q',
    }) as Record<string, string>;
    assert.equal(
      out.body,
      '{"api_key":"K","sign":"[redacted]","nested":{"secret":"[redacted]"},"mobile_phone":"enc****6789"}',
    );
    assert.equal(out.form, 'app_id=op1&sign=[redacted]&timestamp=1&app_secret=[redacted]');
  });

  test('masks mainland mobile numbers in any string but not longer digit runs', () => {
    const out = redact({
      msg: 'user 13912342222 called; order 20210421164242075523115813; ts 1618994563000',
      mobile: '+86 155-0000',
      mobile_phone: '18600001111',
    });
    assert.deepEqual(out, {
      msg: 'user 139****2222 called; order 20210421164242075523115813; ts 1618994563000',
      mobile: '+86****0000',
      mobile_phone: '186****1111',
    });
  });

  test('masks plates only when asked', () => {
    const value = { plate: '粤B660PP', subject: '【粤BD07627】充电', extra: '{"plate":"京AF12345"}' };
    assert.deepEqual(redact(value), value);
    assert.deepEqual(redact(value, { maskPlates: true }), {
      plate: '粤B***PP',
      subject: '【粤B****27】充电',
      extra: '{"plate":"京A****45"}',
    });
  });

  test('leaves the input untouched and survives cycles, buffers and errors', () => {
    const input: Record<string, unknown> = { sign: 's', raw: Buffer.from('sign=abc&x=1') };
    input.self = input;
    const out = redact(input) as Record<string, unknown>;
    assert.equal(input.sign, 's');
    assert.equal(out.raw, 'sign=[redacted]&x=1');
    assert.equal(out.self, '[circular]');
    const shared = { n: 1 };
    assert.deepEqual(redact({ a: shared, b: shared }), { a: { n: 1 }, b: { n: 1 } });
    const err = redact(new Error('secret is hunter22-hunter22'), {
      secrets: ['hunter22-hunter22'],
    }) as Record<string, string>;
    assert.equal(err.message, 'secret is ***');
  });
});

describe('createLogger', () => {
  test('writes JSON lines with secrets, signs and phones redacted', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const log = createLogger({
      level: 'info',
      secrets: ['DZaslH9B9ycqRrE77laCPB2Om'],
      maskPlates: true,
      stream,
    });
    log.info('calling upstream with DZaslH9B9ycqRrE77laCPB2Om', {
      request: { sign: '8A98', mobile_phone: '13800138000', plate: '粤B660PP' },
    });
    log.debug('not written at info');
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.equal(entry.level, 'info');
    assert.equal(entry.message, 'calling upstream with ***');
    assert.deepEqual(entry.request, { sign: REDACTED, mobile_phone: '138****8000', plate: '粤B***PP' });
    assert.equal(typeof entry.timestamp, 'string');
  });

  test('logs an error with its stack, redacted', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    const log = createLogger({ level: 'error', secrets: ['topsecretvalue-0001'], stream });
    log.error(new Error('bad topsecretvalue-0001'));
    await new Promise((r) => setImmediate(r));
    const entry = JSON.parse(text) as Record<string, string>;
    assert.equal(entry.message, 'bad ***');
    assert.match(entry.stack, /^Error: bad \*\*\*/);
    assert.ok(!text.includes('topsecretvalue-0001'));
  });
});
