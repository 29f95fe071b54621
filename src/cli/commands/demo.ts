/**
 * `couponbridge demo` (what `npm start` runs): starts the sandbox P云/Tencent/Dianping
 * upstreams and couponbridge against them on SQLite (couponbridge.demo.yaml), with fresh random
 * secrets, then shows a signed Tencent status sync translated into a signed P云 grant/sync and
 * one rejection in the caller's dialect. Keeps running until Ctrl-C unless --once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Command } from 'commander';
import { request } from 'undici';
import { loadConfig } from '../../config/load';
import { getDialect } from '../../dialects';
import { signedPyunPush, startSandbox, type Sandbox } from '../../sandbox';
import { startServer, type Running } from '../../server/start';
import { toCstIso } from '../../time';
import { projectRoot } from '../../util/paths';

const secretEnv = [
  'PYUN_APP_SECRET',
  'TENCENT_SECRET',
  'DIANPING_SECRET',
  'SP_DEMO_SECRET',
  'POS_DEMO_SECRET',
  'LEGACY_PARKING_SECRET',
];

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function listen(file: string, port: number): Promise<Running> {
  try {
    return await startServer(loadConfig(file, { overrides: { port } }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    say(`port ${port} is busy; using a free port instead`);
    return startServer(loadConfig(file, { overrides: { port: 0 } }));
  }
}

export async function runDemo(opts: {
  port: number;
  once?: boolean;
}): Promise<{ sandbox: Sandbox; running: Running }> {
  for (const name of secretEnv) process.env[name] ??= randomBytes(16).toString('hex');
  process.env.COUPONBRIDGE_LOG_LEVEL ??= 'error';
  const env = process.env as Record<string, string>;
  const config = join(projectRoot(), 'couponbridge.demo.yaml');
  const sandbox = await startSandbox({
    pyun: { app_id: 'op-couponbridge-demo', app_secret: env.PYUN_APP_SECRET },
    tencent: { api_key: 'CBDEMOTENCENTAPIKEY', secret: env.TENCENT_SECRET },
    dianping: { app_key: 'cbdemo', secret: env.DIANPING_SECRET },
  });
  process.env.SANDBOX_PYUN_URL = sandbox.pyunUrl;
  process.env.SANDBOX_TENCENT_URL = sandbox.tencentUrl;
  process.env.SANDBOX_DIANPING_URL = sandbox.dianpingUrl;
  const running = await listen(config, opts.port);

  const tencent = getDialect('tencent');
  const now = Date.now();
  const couponId = `CBDEMO${randomBytes(4).toString('hex').toUpperCase()}`;
  const fields = {
    app_channel_id: 0,
    user_code: 'demo-user',
    stock_id: 'cb-demo-001',
    coupon_id: couponId,
    coupon_status: 2,
    usage_time: toCstIso(now - 60_000),
    event_time: toCstIso(now),
    seq_id: randomUUID(),
  };
  const signed = tencent.buildRequest(
    { method: 'POST', path: '/tencent/coupon/status/rsync', encoding: 'json' },
    fields,
    { keyId: 'SPDEMOAPIKEY0001', secret: env.SP_DEMO_SECRET, scheme: 'tencent-md5' },
  );
  const url = `${running.url}/tencent/coupon/status/rsync`;
  say('couponbridge demo — sandbox P云/Tencent/Dianping upstreams, SQLite store');
  say(`  couponbridge  ${running.url}   (config couponbridge.demo.yaml, mappings ./mappings)`);
  say(`  sandbox P云   ${sandbox.pyunUrl}`);
  // T1 acts only on the SP's own coupons (grant_serial_fallback: none): put one in the ledger, as
  // a /coupon/rsync from sp-demo would have.
  await running.rt.store.upsertCoupon(
    {
      id: `tencent:${couponId}`,
      stockId: 'cb-demo-001',
      partner: 'sp-demo',
      couponId,
      userCode: 'demo-user',
      grantSerial: couponId,
      faceValue: 500,
      state: 'available',
    },
    { actor: 'sp-demo', at: new Date(), reason: 'demo: a coupon synced by sp-demo' },
  );
  say();
  say(`1) Tencent SP sp-demo reports its coupon ${couponId} used (coupon_status=2), signed tencent-md5:`);
  say(`   curl -s -X POST ${url} -H 'content-type: application/json' -d '${signed.body}'`);
  const res = await request(url, { method: 'POST', headers: signed.headers, body: signed.body });
  say(`   → HTTP ${res.statusCode} ${await res.body.text()}`);
  const sent = sandbox.requests({ target: 'pyun' }).at(-1);
  say('   couponbridge called P云 (re-signed pyun-form-md5 with its own app_id):');
  if (sent) {
    say(`   ${sent.method} ${sent.path}`);
    say(`   ${sent.body}`);
    say(`   P云 answered ${sent.answer?.body ?? ''}`);
  }
  say();
  say('2) The same message with a tampered signature is refused in the Tencent dialect:');
  const tampered = (signed.body ?? '').replace(/"sign":"[0-9A-F]/, '"sign":"0');
  const bad = await request(url, {
    method: 'POST',
    headers: signed.headers,
    body: tampered.replace(fields.seq_id, randomUUID()),
  });
  say(`   → HTTP ${bad.statusCode} ${await bad.body.text()}`);
  say();
  say('3) Tencent claims a coupon (T2): couponbridge checks the quota, grants it at P云 (mcoupon/event):');
  const claim = tencent.buildRequest(
    { method: 'POST', path: '/tencent/sp/coupon/receive', encoding: 'json' },
    {
      app_channel_id: 0,
      user_code: 'demo-user',
      stock_id: 'cb-demo-001',
      request_id: randomBytes(8).toString('hex'),
      extra: '{"plate":"粤B660PP"}',
    },
    { keyId: 'SPDEMOAPIKEY0001', secret: env.SP_DEMO_SECRET, scheme: 'tencent-md5' },
  );
  const claimed = await request(`${running.url}/tencent/sp/coupon/receive`, {
    method: 'POST',
    headers: claim.headers,
    body: claim.body,
  });
  const claimAnswer = (await claimed.body.json()) as { code: number; data?: { coupon_id: string } };
  say(`   → ${JSON.stringify(claimAnswer)}`);
  const coupon = claimAnswer.data
    ? await running.rt.store.getCoupon({ couponId: claimAnswer.data.coupon_id })
    : undefined;
  if (coupon?.grantSerial) {
    say();
    say('4) The car leaves and pays; P云 pushes the order with that coupon (P1). couponbridge answers 1001');
    say('   once the Tencent notification is stored, and its outbox delivers /coupon/status/rsync:');
    const paySerial = `DEMO${Date.now()}`;
    const body = signedPyunPush(
      {
        park_uuid: coupon.parkUuid,
        park_name: '演示停车场',
        parking_serial: `PK${paySerial}`,
        pay_serial: paySerial,
        pay_value: '700',
        pay_time: String(Date.now()),
        plate: '粤B660PP',
        channel: '200102',
        identity: 'demo',
        mcoupons: JSON.stringify([
          {
            coupon_name: '停车5元券',
            coupon_code: coupon.couponId,
            store_name: '演示商户',
            store_code: '4911419421',
            coupon_type: '1',
            coupon_value: '500',
            grant_time: String(Date.now()),
            grant_serial: coupon.grantSerial,
          },
        ]),
      },
      'op-couponbridge-demo',
      env.PYUN_APP_SECRET,
    );
    const pushed = await request(`${running.url}/pyun/notify/payment`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    say(`   → ${await pushed.body.text()}`);
    const delivered = () => sandbox.requests({ target: 'tencent', path: '/coupon/status/rsync' });
    for (let i = 0; i < 50 && delivered().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const note = delivered().at(-1);
    if (note) say(`   sandbox Tencent received: ${note.body}\n   and answered ${note.answer?.body ?? ''}`);
  }
  say();
  say(`Ledger:                npx couponbridge ledger show <coupon_id> --store sqlite:var/demo.db`);
  say(
    `Dry run any message:   npx couponbridge translate --route tencent.coupon-status-rsync --config couponbridge.demo.yaml --sign < msg.json`,
  );
  say(`Check the mappings:    npx couponbridge check`);
  say(`Metrics:               curl ${running.url}/metrics`);
  if (!opts.once) say('couponbridge keeps running; Ctrl-C stops it.');
  return { sandbox, running };
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the sandbox upstreams and couponbridge on SQLite, and show a translation')
    .option('--port <port>', 'couponbridge port', (v) => Number(v), 8080)
    .option('--once', 'exit after showing the example')
    .action(async (opts: { port: number; once?: boolean }) => {
      const { sandbox, running } = await runDemo(opts);
      const stop = async () => {
        await running.stop();
        await sandbox.close();
      };
      if (opts.once) {
        await stop();
        return;
      }
      process.once('SIGINT', () => void stop().then(() => process.exit(0)));
      process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
    });
}
