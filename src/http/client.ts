/**
 * The upstream HTTP client: one undici Pool per upstream origin (keep-alive, 32 connections by
 * default), not global fetch, so pool size and timeouts are explicit. Calls go through the pool's
 * dispatch with a handler of our own (AnswerReader), not `request`: the answer is a few hundred
 * bytes read into a buffer, and request's Readable stream, async iterator, AbortController and
 * async-resource bookkeeping cost more CPU per call than the rest of the call. Every call has one overall
 * deadline of timeoutMs (an AbortSignal), so a server that sends headers and then drips the body
 * still times out; undici's own headers/body timeouts are set to the same value as a backstop.
 * Any HTTP status is returned with its body read as text (P云 puts the reason in non-2xx bodies).
 * Transport failures become CbErrors: CB_UPSTREAM_TIMEOUT for any timeout (connect included),
 * CB_UPSTREAM_UNREACHABLE for refused/reset/DNS and other socket errors. The detail names the
 * method and the upstream URL without its query string (a GET query carries signatures).
 * With `inFlight`, a call beyond the upstream's cap is refused at once (CB_UPSTREAM_BUSY, in-flight.ts).
 */
import { performance } from 'node:perf_hooks';
import { Pool, util as undiciUtil, type Dispatcher } from 'undici';
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

/** An answer as read: status, headers and the body text (capped at MAX_ANSWER_BYTES). */
type Read = Omit<UpstreamAnswer, 'elapsedMs'>;

/**
 * undici's dispatch handler for one call: collects the answer's chunks and settles once, with the
 * answer or with undici's error. `abort` ends the call (the deadline, an answer over the cap); an
 * abort asked for before undici has connected the request takes effect when it does.
 */
class AnswerReader implements Dispatcher.DispatchHandler {
  private abortCall?: (reason?: Error) => void;
  private abortReason?: Error;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly max: number,
    private readonly done: (err: unknown, answer?: Read) => void,
  ) {}

  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.abortCall?.(reason);
  }

  private settle(err: unknown, answer?: Read): void {
    if (this.settled) return;
    this.settled = true;
    this.done(err, answer);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.abortReason) abort(this.abortReason);
    else this.abortCall = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    this.status = statusCode;
    this.headers = undiciUtil.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.max) {
      // not read into memory: the call is ended and the answer replaced by a marker
      this.settle(undefined, {
        status: this.status,
        headers: this.headers,
        body: `[answer over ${this.max} bytes, not read]`,
      });
      this.abort(new Error('answer over the size cap'));
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const body =
      this.chunks.length === 1
        ? this.chunks[0].toString('utf8')
        : Buffer.concat(this.chunks, this.size).toString('utf8');
    this.settle(undefined, { status: this.status, headers: this.headers, body });
  }

  onError(err: Error): void {
    this.settle(err);
  }
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
    // named in errors only: built when one is (the in-flight cap's refusal is one)
    const target = () => `${req.method} ${base.origin}${path.split('?')[0]}`;
    const release = opts.inFlight?.acquire(target());
    const started = performance.now();
    let deadlinePassed = false;
    try {
      const answer = await new Promise<Read>((resolve, reject) => {
        const reader = new AnswerReader(MAX_ANSWER_BYTES, (err, read) => {
          clearTimeout(timer);
          if (err === undefined) resolve(read!);
          else reject(err);
        });
        // one overall deadline: a server that sends headers and then drips the body still times out
        const timer = setTimeout(() => {
          deadlinePassed = true;
          const aborted = new Error(`no answer within ${timeoutMs} ms`);
          reader.abort(aborted);
          reader.onError(aborted);
        }, timeoutMs);
        try {
          pool.dispatch(
            {
              method: req.method,
              path,
              headers: req.headers,
              body: req.body,
              headersTimeout: timeoutMs,
              bodyTimeout: timeoutMs,
            },
            reader,
          );
        } catch (e) {
          reader.onError(e as Error);
        }
      });
      return { ...answer, elapsedMs: Math.round(performance.now() - started) };
    } catch (e) {
      throw transportError(e, target(), timeoutMs, deadlinePassed);
    } finally {
      release?.();
    }
  }

  return { send, close: () => pool.close() };
}
