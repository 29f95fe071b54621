/** The journal record keeps the story of an exchange but no secret, signature or clear phone number. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { journalRecord } from '../../src/ledger/journal';
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
