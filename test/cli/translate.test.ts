import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log';
import { openStore } from '../../src/store/open';
import { loadSchemaRegistry } from '../../src/schema/registry';
import { closeRuntime, createRuntime } from '../../src/runtime';
import { loadCheckedTable } from '../../src/server/reload';
import { dryRun } from '../../src/cli/commands/translate';
import { testConfig } from '../support/stack';

async function run(body: object, opts: { sign?: boolean } = {}) {
  const registry = loadSchemaRegistry();
  const config = testConfig({ pyun: 'http://pyun.dry.test' });
  const rt = createRuntime(config, {
    registry,
    logger: createLogger({ level: 'error' }),
    store: await openStore('sqlite::memory:'),
    table: loadCheckedTable(config.mappings, { registry }),
  });
  let calls = 0;
  rt.upstreams.get('pyun')!.client = {
    async send() {
      calls++;
      throw new Error('a dry run must not call');
    },
    async close() {},
  };
  const stages: Array<[string, any]> = [];
  const code = await dryRun(
    rt,
    'tencent.coupon-status-rsync',
    Buffer.from(JSON.stringify(body)),
    opts,
    (t, b) => stages.push([t, b]),
  );
  await closeRuntime(rt);
  return { code, stages: new Map(stages), titles: stages.map(([t]) => t), calls };
}

const message = {
  api_key: 'SPTESTKEY0001',
  app_channel_id: 0,
  user_code: 'u',
  stock_id: 'cb-demo-001',
  coupon_id: 'C-DRY',
  coupon_status: 2,
  usage_time: '2024-03-01T10:15:30.120+08:00',
};

describe('couponbridge translate (dry run)', () => {
  test('prints every stage, the signed request and each possible answer, calling nothing', async () => {
    const r = await run(message, { sign: true });
    assert.equal(r.code, 0);
    assert.equal(r.calls, 0);
    assert.deepEqual(r.titles, [
      'parsed',
      'identified',
      'verified',
      'validated',
      'branch',
      'mapped',
      'signed request',
      'answers by upstream outcome',
    ]);
    assert.equal(r.stages.get('verified'), 'ok');
    assert.equal(r.stages.get('mapped').grant_serial, 'C-DRY');
    const signed = r.stages.get('signed request');
    assert.equal(signed.method, 'POST');
    assert.equal(signed.url, 'http://pyun.dry.test/gate/1.0/parking/internal/mcoupon/grant/sync');
    assert.match(signed.body, /sign=[0-9A-F]{32}/);
    assert.match(signed.stringToSign, /app_secret=\*\*\*$/);
    const answers = r.stages.get('answers by upstream outcome');
    assert.deepEqual(answers['1001'].body, { code: 0, message: 'successful' });
    assert.equal(answers['1405'].body.code, 500000);
    assert.equal(answers.timeout.status, 504);
  });

  test('an unsigned message reports the failed verification and still shows the translation', async () => {
    const r = await run({
      ...message,
      seq_id: 'b8b4f0b8-01fb-4c06-80b9-3ab895a8c616',
      timestamp: '1709259360',
      nonce: 'n',
      sign: '0'.repeat(32),
    });
    assert.equal(r.code, 1);
    assert.equal(r.stages.get('verified').ok, false);
    assert.ok(r.titles.includes('signed request'));
  });

  test('a schema violation stops the run with the caller-dialect answer', async () => {
    const r = await run({ ...message, coupon_status: 7 }, { sign: true });
    assert.equal(r.code, 1);
    const stop = r.titles.find((t) => t.startsWith('stopped'));
    assert.equal(stop, 'stopped: CB_SCHEMA_INVALID');
    assert.equal(r.stages.get(stop).answer.code, 400000);
  });
});
