/** The journal record keeps the story of an exchange but no secret, signature or clear phone number. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { journalRecord } from '../../src/ledger/journal';
import { stockView } from '../../src/ledger/ownership';
import type { StockEntry } from '../../src/mapping/types';
import type { Exchange } from '../../src/pipeline/context';

const SECRET = 'journal-test-secret-0001';

function exchange(): Exchange {
  return {
    id: 'x1',
    rt: { secrets: [SECRET], config: { log: { mask_plates: true } } },
    route: { id: 'dianping.consume-coupon' },
    raw: {
      method: 'GET',
      path: '/dianping/api/coupon/consumeCoupon',
      query: 'appkey=pos&sign=ABCDEF0123&mobile=13911112222&couponCode=DP1',
      headers: {},
      body: Buffer.from(
        '{"sign":"8A983278E5366EB93FEB0D4143E1C522","mobile_phone":"13911112222","plate":"粤B660PP"}',
      ),
    },
    startedAt: performance.now(),
    now: new Date('2024-03-01T00:00:00Z'),
    outbound: {
      method: 'GET',
      url: `https://pos.example/api/coupon/consumeCoupon?appkey=x&sign=FFEE&secret_echo=${SECRET}`,
      path: '/',
      headers: {},
      body: `app_id=op&sign=C983693C5F603AEF30514920FA3158FF&note=${SECRET}`,
      signature: { sign: 'x', stringToSign: 'x', maskedStringToSign: 'x' },
      message: {},
    },
    answer: { status: 200, contentType: 'application/json', body: '{"status":"success"}' },
    outcome: 'success',
    businessKeys: ['DP1', 'DP1'],
    notes: ['called 13911112222 about 粤B660PP'],
  } as unknown as Exchange;
}

describe('journal record', () => {
  test('redacts signatures, secrets, phone numbers and plates in every text, keeps the rest', () => {
    const r = journalRecord(exchange());
    const all = JSON.stringify(r);
    assert.ok(!all.includes(SECRET), 'no secret');
    assert.ok(!all.includes('13911112222'), 'no clear phone');
    assert.ok(
      !all.includes('ABCDEF0123') &&
        !all.includes('8A983278E5366EB93FEB0D4143E1C522') &&
        !all.includes('C983693C'),
      'no signature',
    );
    assert.ok(!all.includes('FFEE'), 'no signature in the outbound URL');
    assert.ok(!all.includes('粤B660PP'), 'plates masked when configured');
    assert.match(all, /139\*\*\*\*2222/);
    assert.match(all, /couponCode=DP1/);
    assert.deepEqual(r.businessKeys, ['DP1']);
    assert.equal(r.route, 'dianping.consume-coupon');
    assert.equal(r.outcome, 'success');
  });
});

describe('journal replay context', () => {
  const entry = {
    partners: ['sp1'],
    park_uuid: 'park-uuid-000000001',
    contact: '13911112222',
    api_secret_hint: 'h',
  };
  function withMap(secrets: string[]): Exchange {
    const x = exchange();
    (x.rt as { secrets: string[] }).secrets = secrets;
    x.map = {
      in: {},
      ledger: { id: 'c1', mobile: '13722223333', state: 'granted' },
      stock: stockView('s1', entry as unknown as StockEntry),
      partner: { id: 'sp1', defaults: {} },
      ctx: { now: new Date('2024-03-01T00:00:00Z'), grant_serial: 'G1' },
    };
    return x;
  }

  test('is the redacted JSON of ledger, stock and ctx, the stock view redacted once for the same rules', () => {
    const expected =
      '{"ledger":{"id":"c1","mobile":"137****3333","state":"granted"},' +
      '"stock":{"stock_id":"s1","partners":["sp1"],"park_uuid":"park-uuid-000000001","contact":"139****2222","api_secret_hint":"[redacted]"},' +
      '"ctx":{"now":"2024-03-01T00:00:00.000Z","grant_serial":"G1"}}';
    const secrets = [SECRET];
    const replayOf = (x: Exchange) => (journalRecord(x).data as { replay: string }).replay;
    assert.equal(replayOf(withMap(secrets)), expected);
    assert.equal(replayOf(withMap(secrets)), expected, 'from the kept stock text');
    // new rules (credentials reloaded): the stock view is redacted again
    assert.equal(
      replayOf(withMap(['park-uuid-000000001'])),
      expected.replace('"park_uuid":"park-uuid-000000001"', '"park_uuid":"***"'),
    );
    assert.ok(Object.isFrozen(withMap(secrets).map!.stock), 'one frozen view per catalogue entry');
  });

  test('a replay context over 16 KiB is cut as a whole, naming its length before redaction', () => {
    const x = withMap([SECRET]);
    x.map!.ctx = { now: new Date('2024-03-01T00:00:00Z'), big: 'b'.repeat(20000), tel: '13911112222' };
    const replay = (journalRecord(x).data as { replay: string }).replay;
    const whole = JSON.stringify({ ledger: x.map!.ledger, stock: x.map!.stock, ctx: x.map!.ctx });
    assert.ok(replay.endsWith(`…(${whole.length} bytes)`), replay.slice(-30));
    assert.equal(replay.length, 16384 + `…(${whole.length} bytes)`.length);
  });
});
