/**
 * Issue 12 item 8, leaks and limits found in review, one test each: store and driver texts never
 * reach a partner (the journal keeps them); /readyz gives its reason only to loopback; upstream
 * answers are read with a size cap; unknown upstream codes are bucketed in metric labels; a request
 * arriving while draining gets the dialect's retryable 503; the ledger CSV neutralises formula
 * cells; CLI output escapes terminal control characters; a couponCode list has a maximum size.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { CbError } from '../../src/errors';
import { createHttpServer } from '../../src/server/app';
import { exportCsv } from '../../src/cli/commands/ledger';
import { print } from '../../src/cli/store-option';
import { terminalSafe } from '../../src/cli/terminal';
import { MAX_ANSWER_BYTES } from '../../src/http/client';
import { creds, startStack, type Stack } from '../support/stack';

const T1 = '/tencent/coupon/status/rsync';
let stack: Stack;
before(async () => {
  stack = await startStack({ pyunTimeoutMs: 3000, extraYaml: 'grant_serial_fallback: coupon_id' });
});
after(async () => {
  await stack.close();
});

function sync(status: 1 | 2): Record<string, unknown> {
  return {
    app_channel_id: 0,
    user_code: 'u-rev',
    stock_id: 'cb-demo-001',
    coupon_id: `C${randomUUID().slice(0, 8)}`,
    coupon_status: status,
    usage_time: '2024-03-01T10:15:30.120+08:00',
    event_time: '2024-03-01T10:15:31.000+08:00',
  };
}

async function lastJournal(): Promise<string> {
  await stack.running.rt.journal.drain();
  const [row] = await stack.running.rt.store.listExchanges({ limit: 1 });
  return JSON.stringify(row);
}

describe('store and driver texts never reach a partner', () => {
  for (const [name, error] of [
    [
      'a driver error (CB_INTERNAL)',
      new Error('duplicate key value violates unique constraint "nonces_pkey"'),
    ],
    ['an unavailable store', new CbError('CB_STORE_UNAVAILABLE', 'connect ECONNREFUSED 10.9.8.7:5432')],
  ] as const) {
    test(name, async () => {
      const nonces = stack.running.rt.nonces;
      stack.running.rt.nonces = { remember: () => Promise.reject(error) };
      try {
        const res = await stack.tencent(T1, sync(1));
        assert.equal(res.json.code, 500000, res.body);
        assert.match(res.json.message, /system error, retry/);
        assert.doesNotMatch(res.body, /nonces_pkey|10\.9\.8\.7|5432|duplicate key/);
        assert.match(await lastJournal(), /nonces_pkey|10\.9\.8\.7:5432/, 'the journal keeps the detail');
      } finally {
        stack.running.rt.nonces = nonces;
      }
    });
  }
});

describe('/readyz', () => {
  test('shows its reason to loopback and to the console token only', async () => {
    const { state } = stack.running;
    const rt = {
      ...stack.running.rt,
      config: { ...stack.running.rt.config, console: { token: 'console-token-0123456789' } },
    };
    const failing = () => Promise.reject(new Error('connect ECONNREFUSED 10.9.8.7:5432'));
    const server = createHttpServer(rt, {
      ...state,
      probes: [{ name: 'store', target: 'postgres', check: failing }],
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const local = await request(`http://127.0.0.1:${port}/readyz`);
      assert.equal(local.statusCode, 503);
      assert.match(await local.body.text(), /10\.9\.8\.7:5432/);
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      assert.ok(external, 'this machine has a non-loopback address to test from');
      const remote = await request(`http://${external}:${port}/readyz`);
      assert.equal(remote.statusCode, 503);
      assert.deepEqual(await remote.body.json(), { status: 'not ready', store: 'postgres' });
      const wrong = await request(`http://${external}:${port}/readyz`, {
        headers: { authorization: 'Bearer console-token-0123456780' },
      });
      assert.deepEqual(await wrong.body.json(), { status: 'not ready', store: 'postgres' });
      const operator = await request(`http://${external}:${port}/readyz`, {
        headers: { authorization: 'Bearer console-token-0123456789' },
      });
      assert.equal(operator.statusCode, 503);
      assert.match(await operator.body.text(), /10\.9\.8\.7:5432/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('upstream answers and metric labels', () => {
  test(`an upstream answer over ${MAX_ANSWER_BYTES} bytes is not read: a retryable bad-answer error`, async () => {
    stack.sandbox.fault('pyun', {
      mode: 'http',
      status: 200,
      body: 'x'.repeat(MAX_ANSWER_BYTES + 10),
      times: 1,
    });
    const res = await stack.tencent(T1, sync(2));
    assert.equal(res.json.code, 500000, res.body);
    const journal = await lastJournal();
    assert.match(journal, /answer over 1048576 bytes, not read/);
    assert.ok(journal.length < 100_000, 'the journal does not hold the answer either');
  });

  test('an unknown upstream code is counted as upstream:other', async () => {
    stack.sandbox.fault('pyun', { mode: 'code', code: `9${Date.now() % 100000}`, times: 1 });
    await stack.tencent(T1, sync(2));
    const text = await (await request(`${stack.url}/metrics`)).body.text();
    assert.match(
      text,
      /couponbridge_exchanges_total\{route="tencent\.coupon-status-rsync",outcome="upstream:other"\} 1/,
    );
    assert.doesNotMatch(text, /outcome="upstream:9\d+"/);
  });
});

describe('draining', () => {
  test("a request arriving while draining gets the dialect's retryable 503, not a 405", async () => {
    stack.running.state.draining = true;
    try {
      const res = await stack.tencent(T1, sync(1));
      assert.equal(res.status, 503);
      assert.equal(res.json.code, 500000);
      assert.match(res.json.message, /shutting down; retry/);
      const dp = await stack.post('/dianping/api/coupon/consumeCoupon', 'a=1', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.deepEqual([dp.status, dp.json.code], [503, '3009029']);
    } finally {
      stack.running.state.draining = false;
    }
  });
});

describe('ledger export CSV', () => {
  test('cells starting with = + - @ are neutralised', async () => {
    const codes = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', 'plain'];
    for (const code of codes) {
      await stack.running.rt.store.upsertCoupon(
        {
          id: `csv:${code}`,
          stockId: 'cb-demo-001',
          partner: 'sp-test',
          couponCode: code,
          state: 'available',
        },
        { actor: 'test', at: new Date() },
      );
    }
    const lines: string[] = [];
    await exportCsv(stack.running.rt.store, (l) => lines.push(l));
    const text = lines.join('\n');
    assert.ok(text.includes(`"'=HYPERLINK(""http://x"",""y"")"`), text);
    for (const cell of ["'+1+1", "'-2+3", "'@SUM(A1)"]) assert.ok(text.includes(cell), cell);
    assert.ok(!/(^|,)[=+@-]/m.test(text.replace(/"'=/g, '')), 'no cell starts with a formula character');
  });
});

describe('CLI output', () => {
  test('terminal control characters from partners are escaped; newlines and tabs stay', () => {
    assert.equal(
      terminalSafe('a\u001b]0;pwned\u0007b\u009bc\r\n\td'),
      'a\\x1b]0;pwned\\x07b\\x9bc\\x0d\n\td',
    );
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      print('coupon \u001b[2J\u001b[Hcleared');
    } finally {
      process.stdout.write = original;
    }
    assert.deepEqual(written, ['coupon \\x1b[2J\\x1b[Hcleared\n']);
  });
});

describe('couponCode lists', () => {
  test('a list of more than 100 codes is a schema error', async () => {
    const path = '/dianping/api/coupon/consumeCoupon';
    const built = getDialect('dianping').buildRequest(
      { method: 'POST', path, encoding: 'form' },
      {
        couponCode: JSON.stringify(Array.from({ length: 101 }, (_, i) => `DP${i}`)),
        shopName: 's',
        consumeTime: Date.now(),
        orderId: `o-${randomUUID()}`,
        orderAmount: '1.00',
        payAmount: '1.00',
        freightFee: '0.00',
        attributes: '{}',
      },
      { keyId: creds.pos.app_key, secret: creds.pos.secret, scheme: 'dianping-sha1' },
    );
    const res = await stack.post(path, built.body!, built.headers);
    assert.equal(res.json.code, '3009011', res.body);
    assert.match(res.json.message, /100/);
  });
});
