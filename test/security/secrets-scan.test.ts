/**
 * Issue 12 item 6: a representative full run of every flow — valid, edited, tampered and damaged
 * messages on every route and the P云 push (the fuzz harness over HTTP), signature failures with
 * their masked string-to-sign, outbox deliveries — with logging at every level. Then every log
 * line and every journal row must be free of every configured secret and of clear mobile numbers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { collectSecrets } from '../../src/config/load';
import { creds, startStack, type Stack } from '../support/stack';
import { fuzz, signed, targetsOf } from '../fuzz/harness';

const clearPhone = /(?<!\d)1[3-9]\d{9}(?!\d)/;
const lines: string[] = [];
let stack: Stack;

before(async () => {
  const logStream = new PassThrough();
  let pending = '';
  logStream.on('data', (c: Buffer) => {
    pending += c.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  stack = await startStack({ logStream, extraYaml: 'journal: { max_age_days: 1, max_rows: 1000000 }' });
});
after(async () => {
  await stack.close();
});

test('no log line or journal row holds a configured secret or a clear mobile number', async () => {
  const targets = targetsOf(stack).map((t) => ({
    ...t,
    // every message carries a clear mobile number somewhere a partner would put one
    base: { ...t.base, ...('mobile_phone' in t.base ? { mobile_phone: '13911112222' } : {}) },
  }));
  // signature failures: the answer (logged at warn, journaled) carries the masked string-to-sign
  for (const t of targets) {
    const wire = signed(t, t.base);
    await stack.post(
      t.path,
      wire.body.replace(/[0-9A-F]{32,40}/, (s) => s.replace(/^./, s[0] === 'A' ? 'B' : 'A')),
      {
        'content-type': wire.contentType,
      },
    );
  }
  await fuzz(stack, 600, 424242, 'http');
  await stack.running.rt.journal.drain();
  await new Promise((r) => setTimeout(r, 300)); // let the outbox deliveries log

  const rows = await stack.running.rt.store.listExchanges({ limit: 1_000_000 });
  assert.ok(rows.length >= 400, `${rows.length} journal rows`);
  assert.ok(lines.length >= 400, `${lines.length} log lines`);
  const secrets = collectSecrets(stack.running.rt.config);
  assert.ok(secrets.includes(creds.sp.secret) && secrets.length >= 6, 'every configured secret is checked');
  const texts = [
    ...lines.map((l) => ['log', l] as const),
    ...rows.map((r) => ['journal', JSON.stringify(r)] as const),
  ];
  assert.ok(
    texts.some(([, t]) => t.includes('139****2222')),
    'mobile numbers were present (masked) in what was scanned',
  );
  for (const [where, text] of texts) {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} holds a secret: ${text.slice(0, 300)}`);
    assert.doesNotMatch(text, clearPhone, `${where} holds a clear mobile number`);
  }
});
