/**
 * Flow X — passthrough. A legacy system holding couponbridge-issued P云-style credentials calls a
 * P云 path the operator allows, under /pyun/gate/<path>; couponbridge checks, in order:
 *  1. the path's shape: plain segments only (letters, digits, `._~-`, no segment starting with a
 *     dot), no `%` escapes, backslashes or empty segments — so `..`, `%2e%2e`, `\` and `//` never
 *     leave /gate/ (refused as an unknown route, 1400, before the body is read);
 *  2. the partner's signature (form `pyun-form-md5`, or JSON with `Authorization: pyun-json-md5`);
 *  3. freshness: P云's `timestamp` (epoch ms) inside ±`replay.window_s`, and the signature
 *     unseen in that window (remembered in the store per partner);
 *  4. the path and method against `passthrough.allow` (empty by default: nothing is reachable) —
 *     after the signature, so that only partners learn which paths exist.
 * Then the message is re-signed with the real P云 app_id and secret; the query string, which no
 * P云 signature covers, is dropped; outbound headers are built from scratch (host, content type
 * and length, user agent, the exchange id), so nothing the client sent but the signed message
 * reaches P云. http-proxy-middleware streams P云's answer back unchanged.
 */
import type { IncomingMessage, ServerResponse, ClientRequest } from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { RequestHandler } from 'express';
import { CbError, toCbError } from '../errors';
import type { Dialect, PassthroughOptions, RawRequest } from '../dialects/types';
import type { PassthroughRule } from '../config/types';
import type { Partner, Runtime } from '../runtime';
import { partnerFor, requireKeyId, verifyWithAnySecret } from '../pipeline/stages/inbound';
import { newExchangeId } from '../pipeline/context';
import { transportFields } from '../flows/shared';
import { errorAnswer } from '../pipeline/stages/answer';
import { checkWindow } from '../ledger/replay-guard';
import { readRawBody } from './raw-body';
import { assertSafeFields, dialectDescriptors } from '../dialects';
import { sendAnswer } from './respond';

const USER_AGENT = 'couponbridge/passthrough';

/**
 * The dialect whose partners may reach their platform's API (the registry's descriptor that
 * declares `passthrough`: P云), mounted at `/<dialect><prefix>/` (/pyun/gate/).
 */
export interface PassthroughMount {
  dialect: Dialect;
  options: PassthroughOptions;
  /** `/pyun`: removed from the request path to give the platform's path. */
  mount: string;
  /** `/pyun/gate/`. */
  prefix: string;
  /** The mount followed by plain segments; a segment may not start with a dot. */
  safePath: RegExp;
}

export function passthroughMount(): PassthroughMount | undefined {
  const d = dialectDescriptors().find((x) => x.passthrough);
  if (!d?.passthrough) return undefined;
  const mount = `/${d.dialect.name}`;
  const prefix = `${mount}${d.passthrough.prefix}/`;
  const escaped = `${mount}${d.passthrough.prefix}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const safePath = new RegExp(`^${escaped}(?:\\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$`);
  return { dialect: d.dialect, options: d.passthrough, mount, prefix, safePath };
}

type Forward = IncomingMessage & {
  /** The re-signed P云 path (with its re-signed query for a GET). */
  cbPath?: string;
  cbBody?: Buffer;
  cbHeaders?: Record<string, string>;
  cbSentAt?: number;
};

/** The P云 path (`/gate/…`) of a request path, or CB_ROUTE_NOT_FOUND when it could leave /gate/. */
export function gatePath(m: PassthroughMount, requestPath: string): string {
  if (!m.safePath.test(requestPath)) {
    throw new CbError(
      'CB_ROUTE_NOT_FOUND',
      `passthrough path refused: only plain segments under ${m.options.prefix}/`,
    );
  }
  return requestPath.slice(m.mount.length);
}

/** True when a rule allows this P云 path and method (exact path, or a subtree ending in `/**`). */
export function allowed(rules: PassthroughRule[], path: string, method: string): boolean {
  return rules.some((r) => {
    const methods: string[] = r.methods ?? ['POST'];
    if (!methods.includes(method)) return false;
    return r.path.endsWith('/**') ? path.startsWith(r.path.slice(0, -2)) : path === r.path;
  });
}

/** P云's timestamp inside the window and the signature seen once: a captured request cannot be re-sent. */
async function requireFresh(
  rt: Runtime,
  m: PassthroughMount,
  partner: Partner,
  fields: Record<string, unknown>,
  signature: string,
): Promise<void> {
  const nowMs = Date.now();
  const windowS = rt.config.replay.window_s;
  const ts = fields[m.options.timestampField];
  const tsMs = typeof ts === 'string' && /^\d{13}$/.test(ts) ? Number(ts) : typeof ts === 'number' ? ts : NaN;
  if (Number.isNaN(tsMs)) {
    throw new CbError(
      'CB_STALE_TIMESTAMP',
      `timestamp ${JSON.stringify(ts ?? null)} is not epoch milliseconds`,
    );
  }
  checkWindow(tsMs, ts, windowS, nowMs);
  const fresh = await rt.nonces.remember(
    `${m.dialect.name}-sig:${partner.id}`,
    signature.toUpperCase(),
    tsMs + windowS * 2000,
    nowMs,
  );
  if (!fresh) {
    throw new CbError('CB_REPLAYED_NONCE', `this signature was already used within the ${windowS} s window`);
  }
}

export function createPassthrough(rt: Runtime): RequestHandler {
  const m = passthroughMount();
  if (!m) return (_req, _res, next) => next();
  const { dialect, prefix } = m;
  /** P云's common parameters and signature: the re-signing replaces them. */
  const common = new Set(transportFields(dialect));
  const upstream = rt.upstreams.get(dialect.name);
  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: upstream?.baseUrl ?? 'http://127.0.0.1:9',
    changeOrigin: true,
    // The checked, re-signed path: a POST's query string is covered by no signature, so it is dropped.
    pathRewrite: (path, req) => (req as Forward).cbPath ?? path.split('?', 1)[0].slice(m.mount.length),
    proxyTimeout: upstream?.timeoutMs ?? 5000,
    on: {
      proxyReq(proxyReq: ClientRequest, req: IncomingMessage) {
        const f = req as Forward;
        if (!f.cbBody) return;
        // Headers from scratch: only what the proxy itself set for this hop (host, connection) stays.
        for (const name of proxyReq.getHeaderNames()) {
          if (name !== 'host' && name !== 'connection') proxyReq.removeHeader(name);
        }
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
        sendAnswer(r, errorAnswer(dialect, new CbError(code, `P云 passthrough: ${err.message}`)));
      },
    },
  });

  return async function passthrough(req, res, next) {
    if (!req.url.startsWith(prefix)) return next();
    try {
      if (!upstream) {
        throw new CbError(
          'CB_UPSTREAM_UNREACHABLE',
          `no P云 upstream configured (upstreams.${dialect.name}.base_url)`,
        );
      }
      const [path, query = ''] = req.url.split('?', 2);
      const target = gatePath(m, path);
      const get = req.method === 'GET';
      const raw: RawRequest = {
        method: req.method,
        path,
        // A GET's query is its signed message; a POST's is signed by nothing and never read.
        query: get ? query : '',
        headers: req.headers,
        body: await readRawBody(req, rt.config.server.body_limit_bytes),
      };
      const msg = dialect.parse(raw);
      assertSafeFields(msg.fields);
      const partner = partnerFor(rt, dialect, requireKeyId(dialect, dialect.identify(msg, raw)));
      verifyWithAnySecret(dialect, msg, raw, partner);
      await rt.rateLimits.take(partner.id);
      const signature = req.headers.authorization ?? msg.signingParams.sign ?? '';
      await requireFresh(rt, m, partner, msg.fields, signature);
      if (!allowed(rt.config.passthrough.allow, target, req.method)) {
        throw new CbError('CB_ROUTE_NOT_FOUND', `P云 path ${target} is not in passthrough.allow`);
      }
      const business: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(msg.fields)) if (!common.has(k)) business[k] = val;
      const encoding = get ? 'query' : msg.encoding === 'json' ? 'json' : 'form';
      const method = get ? 'GET' : 'POST';
      const built = dialect.buildRequest({ method, path: target, encoding }, business, upstream.creds);
      const exchange = newExchangeId();
      const f = req as Forward;
      f.cbPath = built.path;
      f.cbBody = Buffer.from(built.body ?? '', 'utf8');
      f.cbHeaders = { ...built.headers, 'user-agent': USER_AGENT, 'x-couponbridge-exchange': exchange };
      f.cbSentAt = performance.now();
      res.setHeader('x-couponbridge-exchange', exchange);
      // The passthrough counts against P云's max_in_flight like a translated call.
      res.once('close', upstream.inFlight.acquire(`POST P云 passthrough ${target}`));
      rt.logger.log('http', 'passthrough', { exchange, path: target, partner: partner.id });
      proxy(req, res, next);
    } catch (e) {
      sendAnswer(res, errorAnswer(dialect, toCbError(e)));
    }
  };
}
