/**
 * Flow X — passthrough. A legacy system holding couponbridge-issued P云-style credentials calls
 * any P云 path under /pyun/gate/**: its signature is verified with those credentials, the
 * message is re-signed with the real P云 app_id and secret, and http-proxy-middleware forwards
 * it to P云 and streams the answer back unchanged.
 */
import type { IncomingMessage, ServerResponse, ClientRequest } from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { RequestHandler } from 'express';
import { CbError, toCbError } from '../errors';
import type { RawRequest } from '../dialects/types';
import { getDialect, type Runtime } from '../runtime';
import { partnerFor, requireKeyId, verifyWithAnySecret } from '../pipeline/stages/inbound';
import { transportFields } from '../flows/shared';
import { errorAnswer } from '../pipeline/stages/answer';
import { readRawBody } from './raw-body';
import { assertSafeFields } from '../dialects';
import { sendAnswer } from './respond';

const PREFIX = '/pyun/gate/';

type Forward = IncomingMessage & { cbBody?: Buffer; cbHeaders?: Record<string, string>; cbSentAt?: number };

export function createPassthrough(rt: Runtime): RequestHandler {
  const pyun = getDialect('pyun');
  /** P云's common parameters and signature: the re-signing replaces them. */
  const common = new Set(transportFields(pyun));
  const upstream = rt.upstreams.get('pyun');
  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: upstream?.baseUrl ?? 'http://127.0.0.1:9',
    changeOrigin: true,
    pathRewrite: (path) => path.slice('/pyun'.length),
    proxyTimeout: upstream?.timeoutMs ?? 5000,
    on: {
      proxyReq(proxyReq: ClientRequest, req: IncomingMessage) {
        const f = req as Forward;
        if (!f.cbBody) return;
        for (const [k, v] of Object.entries(f.cbHeaders ?? {})) proxyReq.setHeader(k, v);
        proxyReq.setHeader('content-length', f.cbBody.length);
        proxyReq.write(f.cbBody);
      },
      error(err, req, res) {
        const r = res as ServerResponse;
        if (r.headersSent || typeof r.writeHead !== 'function') return;
        // http-proxy reports its own proxyTimeout as a plain "socket hang up": tell them apart by the clock.
        const waited = performance.now() - ((req as Forward).cbSentAt ?? performance.now());
        const timedOut =
          /timeout|ETIMEDOUT/i.test(err.message) || waited >= (upstream?.timeoutMs ?? 5000) - 50;
        const code = timedOut ? 'CB_UPSTREAM_TIMEOUT' : 'CB_UPSTREAM_UNREACHABLE';
        sendAnswer(r, errorAnswer(pyun, new CbError(code, `P云 passthrough: ${err.message}`)));
      },
    },
  });

  return async function passthrough(req, res, next) {
    if (!req.url.startsWith(PREFIX)) return next();
    try {
      if (!upstream)
        throw new CbError('CB_UPSTREAM_UNREACHABLE', 'no P云 upstream configured (upstreams.pyun.base_url)');
      const [path, query = ''] = req.url.split('?', 2);
      const raw: RawRequest = {
        method: req.method,
        path,
        query,
        headers: req.headers,
        body: await readRawBody(req, rt.config.server.body_limit_bytes),
      };
      const msg = pyun.parse(raw);
      assertSafeFields(msg.fields);
      const partner = partnerFor(rt, pyun, requireKeyId(pyun, pyun.identify(msg, raw)));
      verifyWithAnySecret(pyun, msg, raw, partner);
      await rt.rateLimits.take(partner.id);
      const business: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(msg.fields)) if (!common.has(k)) business[k] = val;
      const encoding = msg.encoding === 'json' ? 'json' : 'form';
      const built = pyun.buildRequest(
        { method: 'POST', path: path.slice('/pyun'.length), encoding },
        business,
        upstream.creds,
      );
      const f = req as Forward;
      f.cbBody = Buffer.from(built.body ?? '', 'utf8');
      f.cbHeaders = built.headers;
      f.cbSentAt = performance.now();
      rt.logger.log('http', 'passthrough', { path, partner: partner.id });
      proxy(req, res, next);
    } catch (e) {
      sendAnswer(res, errorAnswer(pyun, toCbError(e)));
    }
  };
}
