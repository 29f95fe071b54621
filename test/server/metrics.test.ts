/** /metrics: exchanges by route and outcome, and outbox attempts by kind, destination and outcome. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { signedPyunPush } from '../../src/sandbox';
import { creds, pushedCoupon, startStack, type Stack } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.close());

async function metrics(): Promise<string> {
  const r = await request(`${stack.url}/metrics`);
  return r.body.text();
}

test('an exchange and an outbox delivery show up in /metrics', async () => {
  const claim = await stack.tencent('/tencent/sp/coupon/receive', {
    app_channel_id: 0,
    user_code: 'metrics-user',
    stock_id: 'cb-demo-001',
    request_id: randomUUID().replace(/-/g, ''),
    extra: '{"plate":"粤B660PP"}',
  });
  assert.equal(claim.json.code, 0, claim.body);
  const coupon = await stack.running.rt.store.getCoupon({ couponId: claim.json.data.coupon_id });
  const body = signedPyunPush(
    {
      park_uuid: 'p',
      park_name: 'n',
      parking_serial: 'ps',
      pay_serial: `PSM${Date.now()}`,
      pay_value: '100',
      pay_time: String(Date.now()),
      plate: '粤B660PP',
      channel: '1',
      identity: 'i',
      mcoupons: JSON.stringify([pushedCoupon(coupon!.grantSerial!, 'c')]),
    },
    creds.pyunUpstream.app_id,
    creds.pyunUpstream.app_secret,
  );
  const push = await stack.post('/pyun/notify/payment', body, {
    'content-type': 'application/x-www-form-urlencoded',
  });
  assert.equal(push.json.code, '1001', push.body);
  let text = '';
  for (let i = 0; i < 100; i++) {
    text = await metrics();
    if (/couponbridge_outbox_attempts_total\{[^}]*outcome="delivered"[^}]*\} 1/.test(text)) break;
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.match(
    text,
    /couponbridge_outbox_attempts_total\{kind="tencent\.coupon_status_rsync@1",destination="tencent",outcome="delivered"\} 1/,
  );
  assert.match(
    text,
    /couponbridge_exchanges_total\{route="tencent\.sp-coupon-receive",outcome="success"\} 1/,
  );
  assert.match(text, /couponbridge_exchanges_total\{route="pyun\.notify-payment",outcome="success"\} 1/);
});
