/**
 * HTTP wiring. Translated routes take a lean path straight off node:http — an exact
 * method + path lookup in the compiled route table — because the hot path's budget is
 * 1.5× a bare proxy's CPU and express routing alone would spend most of it. Everything else
 * (health, readiness, metrics, P云 passthrough, unknown paths) goes through a small express app.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import type { Answer, Dialect, RawRequest } from '../dialects/types';
import { CbError } from '../errors';
import type { Route, Runtime } from '../runtime';
import { getDialect } from '../runtime';
import { newExchange, type Exchange } from '../pipeline/context';
import { errorAnswer } from '../pipeline/stages/answer';
import { runFlow } from '../flows/registry';
import { failed } from '../pipeline/translate';
import { readRawBody } from './raw-body';
import { sendAnswer } from './respond';
import { recordExchange } from '../ledger/journal';
import { createPassthrough } from './passthrough';
import type { Metrics } from './metrics';
import { openapiHandler } from '../openapi/http';

export interface AppState {
  ready: boolean;
  draining: boolean;
  /** Ids of the exchanges being handled (the process policy names them in its log lines). */
  inFlight: Set<string>;
  /** Readiness probes: /readyz names the first failing one (e.g. `"store": "postgres"`). */
  probes: Array<{ name: string; target: string; check: () => Promise<void> }>;
}

/** A readiness probe that has not answered by then counts as failed. */
const PROBE_TIMEOUT_MS = 2000;

function bounded(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([check(), late]).finally(() => clearTimeout(timer));
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && /^(127\.|::1$|::ffff:127\.)/.test(address);
}

/** Whether the request carries the console token as `Authorization: Bearer` (compared in constant time). */
function hasConsoleToken(rt: Runtime, authorization: string | undefined): boolean {
  const token = rt.config.console?.token;
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token || !given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The dialect whose envelope answers an unmatched path: by the first path segment. */
function dialectForPath(path: string): Dialect | undefined {
  const seg = path.split('/')[1];
  try {
    return seg ? getDialect(seg) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The outcome as a metric label: an upstream code the route's code table does not know becomes
 * `upstream:other`, so that an upstream (or a fuzzer behind it) cannot grow the label set unboundedly.
 */
export function outcomeLabel(x: Exchange, outcome: string): string {
  if (!outcome.startsWith('upstream:')) return outcome;
  return x.route.mapping.code(outcome.slice('upstream:'.length)) ? outcome : 'upstream:other';
}

export function observe(rt: Runtime, metrics: Metrics | undefined, x: Exchange): void {
  const seconds = (performance.now() - x.startedAt) / 1000;
  const outcome = x.outcome ?? 'unknown';
  metrics?.exchanges.inc({ route: x.route.id, outcome: outcomeLabel(x, outcome) });
  if (outcome === 'CB_RATE_LIMITED' && x.partner) metrics?.rateLimited.inc({ partner: x.partner.id });
  metrics?.duration.observe({ route: x.route.id }, seconds);
  const ok = outcome === 'success' || outcome === 'recorded' || outcome === 'replayed';
  // A store fault or an internal error needs the operator; a refused or failed exchange does not.
  const level = ok
    ? 'http'
    : outcome === 'CB_STORE_UNAVAILABLE' || outcome === 'CB_INTERNAL'
      ? 'error'
      : 'warn';
  // winston formats (and redacts) an entry before its transport drops it: skip that work here.
  if (!rt.logger.isLevelEnabled(level)) return;
  rt.logger.log(level, 'exchange', {
    exchange: x.id,
    route: x.route.id,
    partner: x.partner?.id,
    branch: x.branch?.name,
    outcome,
    status: x.answer?.status,
    ms: Math.round(seconds * 10000) / 10,
    ...(ok ? {} : { answer: x.answer?.body }),
    // the partner read only "system error, retry": the operator's line carries what happened
    ...(level === 'error' ? { detail: x.notes.filter(Boolean).join('; ') } : {}),
  });
}

export async function handleRoute(
  rt: Runtime,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  metrics?: Metrics,
  inFlight?: Set<string>,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readRawBody(req, rt.config.server.body_limit_bytes);
  } catch (e) {
    res.setHeader('connection', 'close');
    sendAnswer(res, errorAnswer(route.dialect, e));
    return;
  }
  const raw: RawRequest = { method: req.method ?? 'GET', path, query, headers: req.headers, body };
  const x = newExchange(rt, route, raw);
  inFlight?.add(x.id);
  let answer: Answer;
  try {
    answer = await runFlow(x);
  } catch (e) {
    answer = failed(x, e);
  }
  sendAnswer(res, answer, { 'x-couponbridge-exchange': x.id });
  inFlight?.delete(x.id);
  observe(rt, metrics, x);
  recordExchange(rt, x);
}

export function createApp(rt: Runtime, state: AppState, metrics?: Metrics): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.status(state.ready ? 200 : 503).json({ status: state.ready ? 'ok' : 'starting' });
  });
  app.get('/openapi.json', openapiHandler(rt));
  app.get('/readyz', async (req, res) => {
    if (!state.ready || state.draining) {
      res.status(503).json({ status: state.draining ? 'draining' : 'starting' });
      return;
    }
    for (const p of state.probes) {
      try {
        await bounded(p.check);
      } catch (e) {
        // the reason may name the database host:port: only for the machine itself or the operator
        const shown = isLoopback(req.socket.remoteAddress) || hasConsoleToken(rt, req.headers.authorization);
        const reason = shown ? { reason: (e as Error).message } : {};
        res.status(503).json({ status: 'not ready', [p.name]: p.target, ...reason });
        return;
      }
    }
    res.json({ status: 'ready', routes: rt.table.byId.size });
  });
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  if (rt.config.console?.token) {
    // Loaded only when configured: an instance without the console does not load its code.
    const { createConsole } = require('../console') as typeof import('../console');
    const operatorConsole = createConsole(rt);
    if (operatorConsole) app.use('/console', operatorConsole);
  }
  app.use(createPassthrough(rt));
  app.use((req, res) => {
    const path = req.path;
    const d = dialectForPath(path) ?? getDialect('pyun');
    const sameP = [...rt.table.routes.values()].find((r) => r.doc.inbound.path === path);
    const err = sameP
      ? new CbError('CB_METHOD_NOT_ALLOWED', `${req.method} ${path}: use ${sameP.methods.join(' or ')}`)
      : new CbError('CB_ROUTE_NOT_FOUND', `${req.method} ${path}`);
    sendAnswer(res, errorAnswer(d, err));
  });
  return app;
}

export function createHttpServer(rt: Runtime, state: AppState, metrics?: Metrics): Server {
  const app = createApp(rt, state, metrics);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = rt.table.routes.get(`${req.method} ${path}`);
    if (route && !state.draining) {
      void handleRoute(rt, route, req, res, path, q === -1 ? '' : url.slice(q + 1), metrics, state.inFlight);
      return;
    }
    if (state.draining) res.setHeader('connection', 'close');
    if (route) {
      // a request arriving while draining may succeed on another instance: retryable 503, in its dialect
      sendAnswer(res, errorAnswer(route.dialect, new CbError('CB_SHUTTING_DOWN')));
      return;
    }
    app(req, res);
  });
  const s = rt.config.server;
  server.requestTimeout = s.request_timeout_ms;
  server.headersTimeout = s.headers_timeout_ms;
  server.keepAliveTimeout = s.keep_alive_timeout_ms;
  return server;
}
