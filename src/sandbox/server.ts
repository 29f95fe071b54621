/**
 * The plumbing every simulated platform shares: a plain node:http server (no framework: it is
 * also the benchmark's fake upstream) that reads the body, records the request and its answer,
 * applies an injected fault, and serves the control endpoints
 *   GET    /__sandbox/requests[?path=…]   recorded requests of this server (JSON list)
 *   DELETE /__sandbox/requests            forget them
 *   GET    /__sandbox/fault               the fault in force (or null)
 *   POST   /__sandbox/fault               set a fault (JSON body, `null` to clear)
 * so that child-process tests and the bench can drive it. The platform logic is a `Platform`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDialect } from '../dialects';
import type { Answer, RawRequest } from '../dialects/types';

/** A simulated platform, named after its dialect: the built-in three, or one passed to startSandbox. */
export type Target = 'pyun' | 'tencent' | 'dianping' | (string & {});

export type Fault = (
  | { mode: 'down' }
  | { mode: 'slow'; delayMs: number }
  | { mode: 'garbage' }
  | { mode: 'http'; status: number; body?: string }
  | { mode: 'code'; code: string; message?: string }
) & {
  /** Only requests whose path ends with this are affected. */
  path?: string;
  /** The fault clears itself after this many affected requests. */
  times?: number;
};

export interface RecordedRequest {
  seq: number;
  target: Target;
  at: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The message as the platform parsed it (undefined when it could not be parsed). */
  fields?: Record<string, unknown>;
  /** The fault that was applied, if any. */
  fault?: Fault['mode'];
  /** What the platform answered; absent while pending or when the connection was dropped. */
  answer?: { status: number; body: string };
}

export interface RequestFilter {
  target?: Target;
  /** Matches a recorded path that equals or ends with it. */
  path?: string;
  method?: string;
}

/** One simulated platform: answers a request in its own envelope. */
export interface Platform {
  readonly target: Target;
  handle(req: RawRequest, rec: RecordedRequest, receivedAt: number): Answer;
  /** The platform's answer carrying an injected business code. */
  codeAnswer(code: string, message: string | undefined, req: RawRequest): Answer;
}

const MAX_BODY_BYTES = 1024 * 1024;
const CONTROL = '/__sandbox/';
let sequence = 0;

export class PlatformServer {
  readonly server: Server;
  private recorded: RecordedRequest[] = [];
  private fault: Fault | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly platform: Platform,
    private readonly maxRecorded: number,
  ) {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, { status: 500, contentType: 'text/plain', body: String(e) });
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  requests(filter: RequestFilter = {}): RecordedRequest[] {
    return this.recorded.filter((r) => matches(r, filter)).map((r) => structuredClone(r));
  }

  clear(): void {
    this.recorded = [];
  }

  setFault(f: Fault | null): void {
    this.fault = f === null ? null : checkFault(f);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname.startsWith(CONTROL)) return this.control(req.method ?? 'GET', url, body, res);
    if (body === undefined)
      return send(res, { status: 413, contentType: 'text/plain', body: 'body too large' });

    const raw: RawRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      headers: req.headers,
      body,
    };
    const rec: RecordedRequest = {
      seq: ++sequence,
      target: this.platform.target,
      at: new Date(receivedAt).toISOString(),
      method: raw.method,
      path: raw.path,
      query: raw.query,
      headers: { ...req.headers },
      body: body.toString('utf8'),
    };
    this.recorded.push(rec);
    if (this.recorded.length > this.maxRecorded) this.recorded.shift();

    const fault = this.takeFault(raw.path);
    if (fault) {
      rec.fault = fault.mode;
      rec.fields = fieldsOf(this.platform.target, raw);
    }
    if (fault?.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (fault?.mode === 'slow') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, fault.delayMs);
        this.timers.add(t);
      });
      if (res.destroyed) return;
    }
    const answer = this.answer(fault, raw, rec, receivedAt);
    rec.answer = { status: answer.status, body: answer.body };
    send(res, answer);
  }

  private answer(
    fault: Fault | undefined,
    raw: RawRequest,
    rec: RecordedRequest,
    receivedAt: number,
  ): Answer {
    switch (fault?.mode) {
      case 'garbage':
        return { status: 200, contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' };
      case 'http':
        return { status: fault.status, contentType: 'text/plain; charset=utf-8', body: fault.body ?? '' };
      case 'code':
        return this.platform.codeAnswer(fault.code, fault.message, raw);
      default:
        return this.platform.handle(raw, rec, receivedAt);
    }
  }

  private takeFault(path: string): Fault | undefined {
    const f = this.fault;
    if (!f || (f.path !== undefined && !path.endsWith(f.path))) return undefined;
    if (f.times !== undefined) {
      f.times -= 1;
      if (f.times <= 0) this.fault = null;
    }
    return f;
  }

  private control(method: string, url: URL, body: Buffer | undefined, res: ServerResponse): void {
    const what = url.pathname.slice(CONTROL.length);
    const json = (status: number, value: unknown): void =>
      send(res, { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) });
    if (what === 'requests' && method === 'GET') {
      return json(200, this.requests({ path: url.searchParams.get('path') ?? undefined }));
    }
    if (what === 'requests' && method === 'DELETE') {
      this.clear();
      return json(200, { ok: true });
    }
    if (what === 'fault' && method === 'GET') return json(200, this.fault);
    if (what === 'fault' && method === 'POST') {
      try {
        this.setFault(JSON.parse(body?.toString('utf8') || 'null') as Fault | null);
        return json(200, { ok: true, fault: this.fault });
      } catch (e) {
        return json(400, { ok: false, error: (e as Error).message });
      }
    }
    return json(404, { ok: false, error: `no control endpoint ${method} ${url.pathname}` });
  }
}

/** What a faulted request carried (the platform, which parses it otherwise, is not reached). */
function fieldsOf(target: Target, raw: RawRequest): Record<string, unknown> | undefined {
  try {
    return getDialect(target).parse(raw).fields;
  } catch {
    return undefined;
  }
}

function matches(r: RecordedRequest, f: RequestFilter): boolean {
  return (
    (f.target === undefined || r.target === f.target) &&
    (f.path === undefined || r.path.endsWith(f.path)) &&
    (f.method === undefined || r.method === f.method.toUpperCase())
  );
}

/** Rejects a malformed fault at once rather than misbehaving later. */
export function checkFault(f: Fault): Fault {
  const bad = (why: string): never => {
    throw new Error(`bad fault ${JSON.stringify(f)}: ${why}`);
  };
  if (typeof f !== 'object' || f === null) bad('not an object');
  switch (f.mode) {
    case 'down':
    case 'garbage':
      break;
    case 'slow':
      if (!Number.isInteger(f.delayMs) || f.delayMs < 0) bad('delayMs must be a non-negative integer');
      break;
    case 'http':
      if (!Number.isInteger(f.status) || f.status < 100 || f.status > 599) bad('status must be 100–599');
      break;
    case 'code':
      if (typeof f.code !== 'string' || f.code === '') bad('code must be a non-empty string');
      break;
    default:
      bad('mode must be down, slow, garbage, http or code');
  }
  if (f.times !== undefined && (!Number.isInteger(f.times) || f.times < 1))
    bad('times must be a positive integer');
  if (f.path !== undefined && typeof f.path !== 'string') bad('path must be a string');
  return { ...f };
}

/** The whole body, or undefined when it exceeds MAX_BODY_BYTES (the rest is drained). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

function send(res: ServerResponse, a: Answer): void {
  if (res.destroyed) return;
  res.writeHead(a.status, { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.body) });
  res.end(a.body);
}
