import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CbError } from '../../src/errors';
import { createHttpClient } from '../../src/http/client';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const routes = new Map<string, Handler>();
const seen: Array<{
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: number;
}> = [];
let server: Server;
let base: string;
let sockets = 0;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const socket = (req.socket as unknown as { cbId: number }).cbId;
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, socket });
      const handler = routes.get(req.url!.split('?')[0]);
      if (handler) handler(req, res, body);
      else res.writeHead(404).end('no route');
    });
  });
  server.on('connection', (s) => {
    (s as unknown as { cbId: number }).cbId = ++sockets;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const isCb = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof CbError && e.code === code && pattern.test(e.detail);

describe('upstream HTTP client', () => {
  test('sends method, headers and body under the base URL path prefix', async () => {
    routes.set('/prefix/gate/x', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"1001"}'),
    );
    const client = createHttpClient({ baseUrl: `${base}/prefix/`, timeoutMs: 2000 });
    try {
      const answer = await client.send({
        method: 'POST',
        path: '/gate/x',
        headers: { 'x-test': '1' },
        body: 'a=%E4%B8%AD',
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '{"code":"1001"}');
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.ok(answer.elapsedMs >= 0);
      const last = seen.at(-1)!;
      assert.equal(last.method, 'POST');
      assert.equal(last.url, '/prefix/gate/x');
      assert.equal(last.headers['x-test'], '1');
      assert.equal(last.body, 'a=%E4%B8%AD');
    } finally {
      await client.close();
    }
  });

  test('reads the body of a non-2xx answer', async () => {
    routes.set('/err', (_req, res) => res.writeHead(503).end('{"code":"1500","message":"内部错误"}'));
    const client = createHttpClient({ baseUrl: base, timeoutMs: 2000 });
    try {
      const answer = await client.send({ method: 'GET', path: '/err', headers: {} });
      assert.equal(answer.status, 503);
      assert.equal(answer.body, '{"code":"1500","message":"内部错误"}');
    } finally {
      await client.close();
    }
  });

  test('passes a garbage answer through as text', async () => {
    routes.set('/garbage', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops'),
    );
    const client = createHttpClient({ baseUrl: base, timeoutMs: 2000 });
    try {
      assert.equal((await client.send({ method: 'GET', path: '/garbage', headers: {} })).body, '<html>oops');
    } finally {
      await client.close();
    }
  });

  test('keeps connections alive between calls', async () => {
    routes.set('/ka', (_req, res) => res.end('ok'));
    const client = createHttpClient({ baseUrl: base, timeoutMs: 2000, connections: 1 });
    try {
      await client.send({ method: 'GET', path: '/ka', headers: {} });
      await client.send({ method: 'GET', path: '/ka', headers: {} });
      const [a, b] = seen.slice(-2);
      assert.equal(a.socket, b.socket);
    } finally {
      await client.close();
    }
  });

  test('times out within timeoutMs when the upstream never answers', async () => {
    routes.set('/silent', () => undefined);
    const client = createHttpClient({ baseUrl: base, timeoutMs: 300 });
    const started = Date.now();
    try {
      await assert.rejects(
        client.send({ method: 'POST', path: '/silent?sign=SECRETISH', headers: {}, body: 'x' }),
        isCb('CB_UPSTREAM_TIMEOUT', new RegExp(`^POST ${base}/silent: no answer within 300 ms`)),
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 280 && elapsed < 300 + 500, `took ${elapsed} ms`);
    } finally {
      await client.close();
    }
  });

  test('times out a body that drips slower than the deadline', async () => {
    routes.set('/drip', (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const client = createHttpClient({ baseUrl: base, timeoutMs: 300 });
    const started = Date.now();
    try {
      await assert.rejects(
        client.send({ method: 'GET', path: '/drip', headers: {} }),
        isCb('CB_UPSTREAM_TIMEOUT', /300 ms/),
      );
      assert.ok(Date.now() - started < 300 + 500);
    } finally {
      await client.close();
    }
  });

  test('applies a per-call timeout', async () => {
    routes.set('/slow', (_req, res) => setTimeout(() => res.end('late'), 400));
    const client = createHttpClient({ baseUrl: base, timeoutMs: 5000 });
    const started = Date.now();
    try {
      await assert.rejects(
        client.send({ method: 'GET', path: '/slow', headers: {} }, { timeoutMs: 100 }),
        isCb('CB_UPSTREAM_TIMEOUT', /100 ms/),
      );
      assert.ok(Date.now() - started < 100 + 250);
    } finally {
      await client.close();
    }
  });

  test('maps a refused connection to CB_UPSTREAM_UNREACHABLE naming the URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = createHttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    try {
      await assert.rejects(
        client.send({ method: 'POST', path: '/gate/y', headers: {}, body: '' }),
        isCb(
          'CB_UPSTREAM_UNREACHABLE',
          new RegExp(`^POST http://127.0.0.1:${port}/gate/y: connection refused \\(ECONNREFUSED\\)`),
        ),
      );
    } finally {
      await client.close();
    }
  });

  test('maps a connection reset before the answer to CB_UPSTREAM_UNREACHABLE', async () => {
    routes.set('/reset', (req) => req.socket.destroy());
    const client = createHttpClient({ baseUrl: base, timeoutMs: 2000 });
    try {
      await assert.rejects(
        client.send({ method: 'POST', path: '/reset', headers: {}, body: 'a' }),
        isCb('CB_UPSTREAM_UNREACHABLE', /\/reset: /),
      );
    } finally {
      await client.close();
    }
  });

  test('rejects bad options when it is created', () => {
    assert.throws(() => createHttpClient({ baseUrl: 'not a url', timeoutMs: 100 }), /baseUrl is not a URL/);
    assert.throws(() => createHttpClient({ baseUrl: 'ftp://x', timeoutMs: 100 }), /http or https/);
    assert.throws(() => createHttpClient({ baseUrl: 'http://x/?a=1', timeoutMs: 100 }), /query or fragment/);
    assert.throws(
      () => createHttpClient({ baseUrl: 'http://x', timeoutMs: 0 }),
      /timeoutMs must be a positive number/,
    );
    assert.throws(
      () => createHttpClient({ baseUrl: 'http://x', timeoutMs: 10, connections: 1.5 }),
      /connections must be a positive integer/,
    );
  });
});
