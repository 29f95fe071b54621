/**
 * The two reference proxies couponbridge is compared with, both forwarding every request to the
 * fake upstream over a keep-alive pool of the same size as couponbridge's P云 pool (32):
 * a bare node:http reverse proxy (streams request and answer through), and express with
 * http-proxy-middleware as a passthrough.
 */
import { Agent, createServer, request } from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { listenLoopback, type Started } from './listen';

const POOL_SIZE = 32;

function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: POOL_SIZE });
}

export function startBareProxy(upstreamUrl: string): Promise<Started> {
  const target = new URL(upstreamUrl);
  const agent = keepAliveAgent();
  const server = createServer((req, res) => {
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  return listenLoopback(server);
}

export function startExpressProxy(upstreamUrl: string): Promise<Started> {
  const app = express();
  app.disable('x-powered-by');
  app.use(createProxyMiddleware({ target: upstreamUrl, agent: keepAliveAgent() }));
  return listenLoopback(createServer(app));
}
