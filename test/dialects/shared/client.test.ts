import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dialects } from '../../../src/dialects/index';

let server: Server;
let base: string;
const seen: IncomingHttpHeaders[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

describe('dialect clients', () => {
  const expected = {
    pyun: 'application/x-www-form-urlencoded; charset=UTF-8',
    tencent: 'application/json; charset=utf-8',
    dianping: 'application/x-www-form-urlencoded; charset=UTF-8',
  };
  for (const [name, contentType] of Object.entries(expected)) {
    test(`${name} sends Accept JSON and its own Content-Type when the request sets none`, async () => {
      const client = dialects[name as keyof typeof dialects].createClient({ baseUrl: base, timeoutMs: 2000 });
      try {
        await client.send({ method: 'POST', path: '/x', headers: {}, body: 'a' });
        assert.equal(seen.at(-1)!['content-type'], contentType);
        assert.equal(seen.at(-1)!.accept, 'application/json');
      } finally {
        await client.close();
      }
    });
  }

  test('keeps headers the request sets, whatever their case, and sends no Content-Type without a body', async () => {
    const client = dialects.pyun.createClient({ baseUrl: base, timeoutMs: 2000 });
    try {
      await client.send({
        method: 'POST',
        path: '/x',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(seen.at(-1)!['content-type'], 'application/json');
      await client.send({ method: 'GET', path: '/x', headers: {} });
      assert.equal(seen.at(-1)!['content-type'], undefined);
    } finally {
      await client.close();
    }
  });
});
