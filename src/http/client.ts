/**
 * The upstream HTTP client: one undici Pool per upstream origin (keep-alive, 32 connections by
 * default), not global fetch, so pool size and timeouts are explicit. Every call has one overall
 * deadline of timeoutMs (an AbortSignal), so a server that sends headers and then drips the body
 * still times out; undici's own headers/body timeouts are set to the same value as a backstop.
 * Any HTTP status is returned with its body read as text (P云 puts the reason in non-2xx bodies).
 * Transport failures become CbErrors: CB_UPSTREAM_TIMEOUT for any timeout (connect included),
 * CB_UPSTREAM_UNREACHABLE for refused/reset/DNS and other socket errors. The detail names the
 * method and the upstream URL without its query string (a GET query carries signatures).
 * With `inFlight`, a call beyond the upstream's cap is refused at once (CB_UPSTREAM_BUSY, in-flight.ts).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { CbError } from '../errors';
import type { ClientOptions, OutboundRequest, UpstreamAnswer, UpstreamClient } from '../dialects/types';

const DEFAULT_CONNECTIONS = 32;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_MS = 4_000;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

const TRANSPORT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed by the upstream',
  UND_ERR_CLOSED: 'client closed',
};

function positive(value: number | undefined, name: string, integer = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(
      `createHttpClient: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`createHttpClient: baseUrl is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`createHttpClient: baseUrl must be http or https, got ${url.protocol}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error('createHttpClient: baseUrl must not carry a query or fragment');
  }
  return url;
}

/** Codes along the cause chain (undici wraps socket errors); the most specific known one wins. */
function errorCode(e: unknown): string | undefined {
  const codes: string[] = [];
  for (let cur = e, depth = 0; depth < 5 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  const specific = (c: string): boolean =>
    TIMEOUT_CODES.has(c) || (c in TRANSPORT_WORDS && c !== 'UND_ERR_SOCKET');
  return codes.find(specific) ?? codes[0];
}

function transportError(e: unknown, target: string, timeoutMs: number, deadlinePassed: boolean): CbError {
  const code = errorCode(e);
  if (deadlinePassed || (code !== undefined && TIMEOUT_CODES.has(code))) {
    const phase = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connecting' : 'waiting for the answer';
    return new CbError('CB_UPSTREAM_TIMEOUT', `${target}: no answer within ${timeoutMs} ms (${phase})`);
  }
  const words = (code && TRANSPORT_WORDS[code]) ?? (e instanceof Error ? e.message : String(e));
  return new CbError('CB_UPSTREAM_UNREACHABLE', `${target}: ${words}${code ? ` (${code})` : ''}`);
}

/**
 * Largest upstream or partner answer read. The platforms answer a few hundred bytes; a bigger
 * answer is not read into memory but replaced by a marker, which then fails as an unreadable
 * (not JSON) answer — retryable, since the call itself may have taken effect.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  max: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return `[answer over ${max} bytes, not read]`;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

export function createHttpClient(opts: ClientOptions): UpstreamClient {
  const base = parseBaseUrl(opts.baseUrl);
  if (opts.timeoutMs === undefined) throw new Error('createHttpClient: timeoutMs is required');
  positive(opts.timeoutMs, 'timeoutMs');
  positive(opts.connectTimeoutMs, 'connectTimeoutMs');
  positive(opts.connections, 'connections', true);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, {
    connections: opts.connections ?? DEFAULT_CONNECTIONS,
    connectTimeout: Math.min(opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, opts.timeoutMs),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: KEEP_ALIVE_MS,
  });

  async function send(req: OutboundRequest, callOpts?: { timeoutMs?: number }): Promise<UpstreamAnswer> {
    const timeoutMs = callOpts?.timeoutMs ?? opts.timeoutMs;
    positive(timeoutMs, 'timeoutMs');
    if (!req.path.startsWith('/')) throw new Error(`upstream path must start with '/': ${req.path}`);
    const path = `${prefix}${req.path}`;
    const target = `${req.method} ${base.origin}${path.split('?')[0]}`;
    const release = opts.inFlight?.acquire(target);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const started = performance.now();
    try {
      const res = await pool.request({
        method: req.method,
        path,
        headers: req.headers,
        body: req.body,
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await readCapped(res.body, MAX_ANSWER_BYTES);
      return {
        status: res.statusCode,
        headers: res.headers,
        body,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (e) {
      throw transportError(e, target, timeoutMs, deadline.signal.aborted);
    } finally {
      clearTimeout(timer);
      release?.();
    }
  }

  return { send, close: () => pool.close() };
}
