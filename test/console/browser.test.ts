/**
 * The operator console's journeys in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; never a downloaded browser): log in, find an exchange and open its trace,
 * see the month's settlement and follow a discrepancy to its trace, replay a dead letter,
 * shadow-replay an edited mapping and see the difference, dry-run a message. Screenshots go to test/artifacts/console/ (gitignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../src/util/paths';
import { fastOutboxYaml, pushedCoupon, startStack, type Stack } from '../support/stack';
import { sendSampleTraffic, trafficConfigYaml, type Traffic } from '../support/traffic';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'console-token-for-browser-tests';
const shots = join(projectRoot(), 'test', 'artifacts', 'console');
const profile = mkdtempSync(join(tmpdir(), 'cb-chromium-'));
let stack: Stack;
let traffic: Traffic;
let context: BrowserContext;
let p: Page;

async function shot(name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function eventually(what: string, probe: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(shots, { recursive: true });
  stack = await startStack({
    extraYaml: `${trafficConfigYaml}\n${fastOutboxYaml}\nconsole: { token: ${TOKEN} }`,
  });
  traffic = await sendSampleTraffic(stack);
  // A P云 payment push of a fresh claim, whose notification Tencent refuses for good: a dead letter.
  stack.sandbox.fault('tencent', { mode: 'code', code: '400005', message: '签名校验失败' });
  const claim = await stack.tencent('/tencent/sp/coupon/receive', {
    app_channel_id: 0,
    user_code: 'dead-letter-user',
    stock_id: 'cb-demo-001',
    request_id: `dl${Date.now()}`,
    extra: '{"plate":"川A660P1"}',
  });
  const claimed = await stack.running.rt.store.getCoupon({ couponId: claim.json.data.coupon_id });
  const push = await stack.sandbox.push(`${stack.url}/pyun/notify/payment`, {
    park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
    park_name: 'P云支付体验-停车场',
    parking_serial: '591668151763415041',
    identity: '5aeV05nlt6/ig4LplITisYg=',
    pay_serial: `PS-dead-${Date.now()}`,
    pay_value: '100',
    pay_time: '1618994563000',
    plate: '川A660P1',
    channel: '200102',
    discounts: '[]',
    mcoupons: JSON.stringify([pushedCoupon(claimed!.grantSerial!, 'MC9')]),
  });
  assert.equal(push.status, 200, push.body);
  await eventually(
    'a dead letter',
    async () => (await stack.running.rt.store.listOutbox({ state: 'dead' })).length > 0,
  );
  stack.sandbox.fault('tencent', null);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  p = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  await stack?.close();
  rmSync(profile, { recursive: true, force: true });
});

describe('console journeys in Chromium', () => {
  test('log in: a wrong token is refused, the right one opens the overview with its charts', async () => {
    const first = await p.goto(`${stack.url}/console`);
    assert.equal(first?.status(), 401);
    await p.fill('input[name=token]', 'not-the-token');
    await p.click('button[type=submit]');
    assert.match((await p.textContent('[role=alert]')) ?? '', /Wrong token/);
    await p.fill('input[name=token]', TOKEN);
    await p.click('button[type=submit]');
    await p.waitForSelector('#chart-traffic canvas');
    assert.equal(await p.textContent('h1'), 'Overview');
    assert.ok(Number(await p.textContent('#total-exchanges')) >= 10);
    assert.equal(await p.textContent('#outbox-dead'), '1');
    await shot('overview');
  });

  test('find an exchange by its business key and open its trace', async () => {
    await p.click('nav >> text=Exchanges');
    await p.fill('input[name=key]', traffic.claimRequestId);
    await p.click('form.inline button[type=submit]');
    const rows = p.locator('#exchanges tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /tencent\.sp-coupon-receive.*success/);
    await shot('exchanges');
    await rows.first().locator('a').click();
    const trace = (await p.textContent('#trace')) ?? '';
    assert.match(trace, /route tencent\.sp-coupon-receive/);
    assert.match(trace, /inbound:/);
    assert.match(trace, /outbound:/);
    assert.match(trace, /139\*\*\*\*2222/, 'the phone number is masked');
    assert.doesNotMatch(trace, /13911112222/);
    assert.doesNotMatch(trace, /sp-partner-secret|pyun-upstream-secret/, 'no secret');
    await shot('trace');
  });

  test('settlement: the month’s totals per partner in 元, and a discrepancy followed to its trace', async () => {
    await p.click('nav >> text=Settlement');
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    assert.equal(await p.textContent('h1'), `Settlement ${month}`);
    const partners = p.locator('#settlement-partners tbody tr');
    const cells = async (row: ReturnType<Page['locator']>) =>
      (await row.locator('td').allTextContents()).map((c) => c.trim());
    // sp-test: the sample claim (redeemed by T1) and the dead-letter claim (redeemed by the P云
    // push), 500 分 each; the T4 expiry. pos-park: one code of a 30 − 25 元 order, 500 分.
    assert.deepEqual(await cells(partners.filter({ hasText: 'sp-test' })), [
      'sp-test',
      '2',
      '10.00',
      '2',
      '10.00',
      '1',
      '0',
      '0',
      '0.00',
    ]);
    assert.deepEqual(await cells(partners.filter({ hasText: 'pos-park' })), [
      'pos-park',
      '0',
      '0.00',
      '1',
      '5.00',
      '0',
      '0',
      '0',
      '0.00',
    ]);
    const dead = p.locator('#discrepancies tbody tr', { hasText: 'notification_dead' });
    assert.equal(await dead.count(), 1);
    assert.match((await dead.textContent()) ?? '', /sp-test\s*outbox:\d+.*dead after \d+ attempt/s);
    await shot('settlement');
    const exchange = (await dead.locator('a').first().textContent())!.trim();
    await dead.locator('a').first().click();
    assert.equal(await p.textContent('h1'), `Exchange ${exchange}`);
    assert.match((await p.textContent('#trace')) ?? '', /route /);
    await p.goBack();
    await p.click('#previous-month');
    const previous = new Date(`${month}-15T00:00:00Z`);
    previous.setUTCMonth(previous.getUTCMonth() - 1);
    assert.equal(await p.textContent('h1'), `Settlement ${previous.toISOString().slice(0, 7)}`);
    await p.waitForSelector('#no-activity');
    await p.click('#next-month');
    assert.equal(await p.textContent('h1'), `Settlement ${month}`);
    await p.selectOption('select[name=partner]', 'pos-park');
    await p.click('nav.months button[type=submit]');
    assert.deepEqual(await p.locator('#settlement-partners tbody tr td:first-child').allTextContents(), [
      'pos-park',
    ]);
    await p.waitForSelector('#no-discrepancies');
  });

  test('replay a dead letter: it becomes due and the running worker delivers it', async () => {
    await p.click('nav >> text=Outbox');
    const rows = p.locator('#outbox tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /dead.*400005/);
    const id = (await rows.first().locator('a').textContent())!.trim();
    await rows.first().locator('button', { hasText: 'Replay' }).click();
    assert.match((await p.textContent('.flash')) ?? '', new RegExp(`Replayed ${id} .*due now`));
    await shot('outbox-replayed');
    await eventually(
      'the replayed row delivered',
      async () => (await stack.running.rt.store.getOutbox(id))?.state === 'delivered',
    );
  });

  test('shadow-replay an edited mapping and see the difference', async () => {
    await p.click('nav >> text=Mappings');
    assert.match((await p.textContent('#check')) ?? '', /^ok: \d+ mappings checked/);
    await p.selectOption('select[name=file]', 'tencent-coupon-status-rsync.yaml');
    await p.click('button:has-text("Load current text")');
    const text = await p.inputValue('#candidate');
    const from =
      'apply_value: { first: [ledger.face_value_fen, stock.face_value_fen, partner.defaults.face_value_fen] }';
    assert.ok(text.includes(from));
    await p.fill('#candidate', text.replace(from, 'apply_value: { const: 300 }'));
    await p.click('button:has-text("Shadow replay")');
    const rows = p.locator('#differences tbody tr');
    assert.equal(await rows.count(), 2, 'both redeems differ, nothing else');
    for (const row of await rows.all()) {
      const cells = await row.locator('td').allTextContents();
      assert.deepEqual(cells.slice(1), ['tencent.coupon-status-rsync', 'outbound.apply_value', '500', '300']);
    }
    assert.match(
      (await p.textContent('#summary')) ?? '',
      /tencent\.coupon-status-rsync: \d+ replayed, 2 differ/,
    );
    await shot('shadow-replay');
    // The unedited file: no difference.
    await p.fill('#candidate', text);
    await p.click('button:has-text("Shadow replay")');
    await p.waitForSelector('#no-differences');
  });

  test('dry-run a partner message: every stage and the signed outbound request', async () => {
    await p.click('nav >> text=Dry run');
    await p.selectOption('select[name=route]', 'tencent.coupon-status-rsync');
    await p.fill(
      '#message',
      JSON.stringify({
        api_key: 'SPTESTKEY0001',
        app_channel_id: 0,
        user_code: 'u-dry',
        stock_id: 'cb-demo-001',
        coupon_id: 'C-dry-run',
        coupon_status: 2,
        usage_time: '2024-03-01T10:15:30.120+08:00',
      }),
    );
    await p.click('button:has-text("Dry run")');
    const titles = await p.locator('#stages h2').allTextContents();
    for (const t of ['parsed', 'identified', 'verified', 'validated', 'branch', 'mapped', 'signed request'])
      assert.ok(titles.includes(t), `stage ${t} shown (${titles.join(', ')})`);
    assert.equal(await p.getAttribute('#stages', 'data-exit'), '0');
    const stages = (await p.textContent('#stages')) ?? '';
    assert.match(stages, /mcoupon\/grant\/sync/);
    assert.match(stages, /"grant_serial": "C-dry-run"/);
    await shot('dry-run');
  });

  test('ledger: a coupon with its history', async () => {
    await p.goto(`${stack.url}/console/ledger?coupon=${encodeURIComponent(traffic.claimedCouponId)}`);
    const text = (await p.textContent('#coupon')) ?? '';
    assert.match(text, /state +used/);
    assert.match(text, /∅ → pending/);
    assert.match(text, /available → used/);
  });
});
