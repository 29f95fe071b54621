/**
 * The offline harness of `couponbridge test`: a runtime on an in-memory SQLite store with the
 * contract-test configuration (test-partners.ts), a fixed clock, a counter for every random value
 * that reaches a message or an answer (Runtime.entropy), fake upstreams that record what they are
 * sent, and the two ways in — an inbound message through runFlow, and one outbox row through the
 * outbox's delivery function (no worker, no timers). Nothing leaves the process.
 */
import { join } from 'node:path';
import { parseConfig } from '../config/load';
import type { Config } from '../config/types';
import { CbError } from '../errors';
import { createLogger } from '../log';
import { loadSchemaRegistry, type SchemaRegistry } from '../schema/registry';
import { createRuntime, getDialect, partnerKey, type Route, type RouteTable, type Runtime } from '../runtime';
import { loadCheckedTable } from '../server/reload';
import { openStore } from '../store/open';
import { newExchange, type Exchange } from '../pipeline/context';
import { codeEntryFor } from '../pipeline/stages/answer';
import { runFlow } from '../flows/registry';
import { deliver } from '../outbox/deliver';
import { Destinations } from '../outbox/destination';
import { readerOf } from '../outbox/kinds';
import { encodeForm } from '../dialects';
import type {
  Answer,
  ClientOptions,
  Credentials,
  Entropy,
  OutboundRequest,
  RawRequest,
  UpstreamClient,
} from '../dialects/types';
import type { NonceMemory } from '../ledger/replay-guard';
import type { CouponFields, IdemOutcome, OutboxItem, StoredAnswer } from '../store/types';
import type { CouponState } from '../ledger/state-machine';
import {
  contractUpstreams,
  defaultTestPartners,
  testPartnerCredentials,
  testPartnerNotifyUrl,
  type TestPartner,
} from './test-partners';

/** A request a fake upstream received. */
export interface SentRequest extends OutboundRequest {
  /** The dialect of the upstream or partner it went to. */
  dialect: string;
  url: string;
}

export type UpstreamFault = 'timeout' | 'unreachable' | 'http_error' | 'unreadable';

/** What a fake upstream answers: an HTTP answer (a body object is sent as JSON) or a fault. */
export type UpstreamReply =
  { status?: number; headers?: Record<string, string>; body: unknown } | { fault: UpstreamFault };

export type UpstreamHandler = (req: SentRequest) => UpstreamReply;

export interface HarnessOptions {
  mappingsDir: string;
  now: Date;
  /** Partners instead of the default one per dialect, and configuration keys merged in. */
  config?: { partners?: TestPartner[]; settings?: Record<string, unknown> };
  registry?: SchemaRegistry;
  /** The checked route table of mappingsDir, when the caller already loaded it (it is only read). */
  table?: RouteTable;
}

export interface SeedCoupon extends Omit<CouponFields, 'id'> {
  id?: string;
  state: CouponState;
}

export interface SeedState {
  coupons?: SeedCoupon[];
  stocks?: Array<{ stockId: string; status?: number; presentation?: Record<string, unknown> }>;
  /** Idempotency records: finished when `answer` is given, else started (in flight). */
  idempotency?: Array<{
    partner: string;
    route: string;
    key: string;
    fingerprint: string;
    answer?: StoredAnswer;
    outcome?: IdemOutcome;
  }>;
}

export interface InboundMessage {
  json?: Record<string, unknown>;
  form?: Record<string, unknown>;
  query?: Record<string, unknown>;
  /** 'as-is': send the fields exactly as given (no key id, timestamp, nonce or signature added). */
  signed?: 'as-is';
}

export interface InboundResult {
  answer: Answer;
  outbound: SentRequest[];
  exchange: Exchange;
  /** The code-table key the upstream's outcome selected (undefined: no call, or no entry). */
  codeRow?: string;
  /** Every branch of the mapping the exchange selected. */
  branches: string[];
}

export interface NotifyResult {
  outcome: 'delivered' | 'retry' | 'dead';
  reason?: string;
  outbound: SentRequest[];
  codeRow?: string;
  branches: string[];
}

export interface OfflineRuntime {
  rt: Runtime;
  now: Date;
  partners: readonly TestPartner[];
  signInbound(routeId: string, msg: InboundMessage, partnerId?: string): RawRequest;
  onUpstream(dialect: string, handler: UpstreamHandler): void;
  seedState(state: SeedState): Promise<void>;
  runInbound(routeId: string, raw: RawRequest): Promise<InboundResult>;
  runNotify(
    routeId: string,
    payload: Record<string, unknown>,
    dedupKey: string,
    destination?: string,
  ): Promise<NotifyResult>;
  close(): Promise<void>;
}

/**
 * Counting "random" values: obviously not random, the same on every run. Each harness has its
 * own, so a case's values do not depend on the cases run before it.
 */
export function counterEntropy(): Entropy {
  let n = 0;
  const next = (): number => ++n;
  return {
    uuid: () => `00000000-0000-4000-8000-${next().toString(16).padStart(12, '0')}`,
    digits: (len) => String(next()).padStart(len, '0'),
    hex: (bytes) =>
      next()
        .toString(16)
        .padStart(bytes * 2, '0'),
  };
}

/** Nonces remembered in a Map: the replay check works as in serve, against the harness clock. */
function memoryNonces(): NonceMemory {
  const seen = new Map<string, number>();
  return {
    async remember(scope, nonce, expiresAtMs, nowMs) {
      const key = `${scope}\u0000${nonce}`;
      const until = seen.get(key);
      if (until !== undefined && until > nowMs) return false;
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

function credentialsOf(dialect: string, id: string): Record<string, string> {
  const keys = getDialect(dialect).credentialKeys;
  const c = testPartnerCredentials(id);
  return { [keys.keyId]: c.keyId, [keys.secret]: c.secret };
}

/** The contract-test configuration (JSON is YAML): test partners, test upstream credentials. */
export function contractConfig(o: HarnessOptions): Config {
  const partners = o.config?.partners ?? defaultTestPartners;
  const doc = {
    ...o.config?.settings,
    store: 'sqlite::memory:',
    mappings: o.mappingsDir,
    log: { level: 'error' },
    upstreams: Object.fromEntries(
      Object.entries(contractUpstreams).map(([name, u]) => [name, { ...u, timeout_ms: 1000 }]),
    ),
    partners: partners.map((p) => ({
      id: p.id,
      dialect: p.dialect,
      ...credentialsOf(p.dialect, p.id),
      ...(p.defaults ? { defaults: p.defaults } : {}),
      notify: { base_url: testPartnerNotifyUrl(p.id) },
    })),
  };
  return parseConfig(JSON.stringify(doc), join(o.mappingsDir, 'contract-test.yaml'), {});
}

function replyAnswer(req: SentRequest, reply: UpstreamReply) {
  if ('fault' in reply) {
    switch (reply.fault) {
      case 'timeout':
        throw new CbError('CB_UPSTREAM_TIMEOUT', `${req.url} (contract test: timeout)`);
      case 'unreachable':
        throw new CbError('CB_UPSTREAM_UNREACHABLE', `${req.url} (contract test: unreachable)`);
      case 'http_error':
        return { status: 502, headers: {}, body: 'Bad Gateway', elapsedMs: 1 };
      case 'unreadable':
        return { status: 200, headers: {}, body: '<html>contract test: not JSON</html>', elapsedMs: 1 };
    }
  }
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  return { status: reply.status ?? 200, headers: reply.headers ?? {}, body, elapsedMs: 1 };
}

function contentTypeOf(msg: InboundMessage): string {
  return msg.json ? 'application/json' : 'application/x-www-form-urlencoded; charset=UTF-8';
}

export async function openOfflineRuntime(o: HarnessOptions): Promise<OfflineRuntime> {
  const config = contractConfig(o);
  const registry = o.registry ?? loadSchemaRegistry();
  const rt = createRuntime(config, {
    registry,
    logger: createLogger({ level: 'error' }),
    store: await openStore('sqlite::memory:'),
    table: o.table ?? loadCheckedTable(config.mappings, { registry }),
    nonces: memoryNonces(),
    entropy: counterEntropy(),
  });
  // the partner's own signing draws from another counter, so outbound values do not depend on it
  const partnerEntropy = counterEntropy();
  const partners = o.config?.partners ?? defaultTestPartners;
  const handlers = new Map<string, UpstreamHandler>();
  let sent: SentRequest[] = [];

  function fakeClient(dialect: string, baseUrl: string): UpstreamClient {
    return {
      async send(req) {
        const s: SentRequest = { ...req, dialect, url: baseUrl.replace(/\/$/, '') + req.path };
        // only what goes on the wire: the dialect's signature details stay out of the record
        const { signature: _s, message: _m, url: _u, ...wire } = req as typeof req & Record<string, unknown>;
        sent.push({ ...(wire as unknown as OutboundRequest), dialect, url: s.url });
        const handler = handlers.get(dialect);
        if (!handler)
          throw new Error(`contract test: ${s.url} was called, but the case expects no ${dialect} call`);
        return replyAnswer(s, handler(s));
      },
      async close() {},
    };
  }
  for (const u of rt.upstreams.values()) u.client = fakeClient(u.dialect.name, u.baseUrl);
  const destinations = new Destinations(rt, 1, (dialect: string, c: ClientOptions) =>
    fakeClient(dialect, c.baseUrl),
  );

  function route(routeId: string): Route {
    const r = rt.table.byId.get(routeId);
    if (!r) throw new Error(`unknown route "${routeId}" (routes: ${[...rt.table.byId.keys()].join(', ')})`);
    return r;
  }

  function signerOf(r: Route, partnerId: string | undefined): Credentials {
    if (r.doc.inbound.caller === 'upstream') {
      const u = rt.upstreams.get(r.dialect.name);
      if (!u) throw new Error(`route ${r.id}: no ${r.dialect.name} upstream configured`);
      return u.creds;
    }
    const p = partnerId
      ? [...rt.partners.values()].find((q) => q.id === partnerId)
      : [...rt.partners.values()].find((q) => q.dialect === r.dialect);
    if (!p) throw new Error(`route ${r.id}: no ${partnerId ?? r.dialect.name} test partner configured`);
    if (p.dialect !== r.dialect)
      throw new Error(`route ${r.id}: partner ${p.id} speaks ${p.dialect.name}, the route ${r.dialect.name}`);
    return rt.partners.get(partnerKey(p.dialect.name, p.creds.keyId))!.creds;
  }

  return {
    rt,
    now: o.now,
    partners,
    signInbound(routeId, msg, partnerId) {
      const r = route(routeId);
      const given = [msg.json, msg.form, msg.query].filter((f) => f !== undefined);
      if (given.length !== 1) throw new Error('an inbound message has exactly one of json, form, query');
      const fields = given[0]!;
      const encoding = msg.json ? 'json' : msg.form ? 'form' : 'query';
      const method = encoding === 'query' ? 'GET' : 'POST';
      const path = r.doc.inbound.path;
      const headers = encoding === 'query' ? {} : { 'content-type': contentTypeOf(msg) };
      if (msg.signed === 'as-is') {
        const text = encoding === 'json' ? JSON.stringify(fields) : encodeForm(stringValues(fields));
        return {
          method,
          path,
          query: encoding === 'query' ? text : '',
          headers,
          body: Buffer.from(encoding === 'query' ? '' : text),
        };
      }
      const built = r.dialect.buildRequest(
        { method, path, encoding },
        fields,
        signerOf(r, partnerId),
        o.now,
        partnerEntropy,
      );
      const [, query = ''] = built.path.split('?');
      return {
        method,
        path,
        query,
        headers: { ...headers, ...built.headers },
        body: Buffer.from(built.body ?? ''),
      };
    },
    onUpstream(dialect, handler) {
      handlers.set(dialect, handler);
    },
    async seedState(state) {
      const meta = { actor: 'contract-test', at: o.now };
      for (const s of state.stocks ?? []) await rt.store.upsertStockSync({ ...s, updatedAt: o.now });
      let n = 0;
      for (const c of state.coupons ?? []) {
        const { state: couponState, ...fields } = c;
        const id = c.id ?? `contract-coupon-${++n}`;
        if (couponState === 'pending') {
          const r = await rt.store.reserveCoupon(
            { ...fields, id, userCode: fields.userCode ?? 'contract-user' },
            { maxCoupons: Number.MAX_SAFE_INTEGER, maxPerUser: Number.MAX_SAFE_INTEGER },
            meta,
          );
          if (r !== 'reserved') throw new Error(`seeding coupon ${id}: ${r}`);
        } else {
          await rt.store.upsertCoupon({ ...fields, id, state: couponState }, meta);
        }
      }
      for (const i of state.idempotency ?? []) {
        const k = { partner: i.partner, route: i.route, key: i.key };
        await rt.store.idemBegin(k, i.fingerprint, o.now);
        if (i.answer) await rt.store.idemFinish(k, i.answer, i.outcome ?? 'success', o.now);
      }
    },
    async runInbound(routeId, raw) {
      const r = route(routeId);
      sent = [];
      const x = newExchange(rt, r, raw, o.now);
      const answer = await runFlow(x);
      // the code-table row the engine answered from (answer.ts codeEntryFor)
      const codeRow = x.upstream ? codeEntryFor(x, x.upstream)?.key : undefined;
      return { answer, outbound: sent, exchange: x, codeRow, branches: x.selected ?? [] };
    },
    async runNotify(routeId, payload, dedupKey, destination) {
      const reader = rt.table.set.notify.find((n) => n.doc.id === routeId);
      if (!reader) throw new Error(`unknown notify route "${routeId}"`);
      const { kind, v } = reader.doc.notify;
      if (typeof readerOf(rt.table.set, kind, v) === 'string') throw new Error(`no reader for ${kind}@${v}`);
      sent = [];
      const item: OutboxItem = {
        id: 'contract-outbox-1',
        kind,
        v,
        destination: destination ?? reader.doc.target.dialect,
        dedupKey,
        payload,
        state: 'leased',
        attempts: 1,
        nextAttemptAt: o.now,
        createdAt: o.now,
        updatedAt: o.now,
      };
      const r = await deliver(rt, item, destinations, { now: o.now, timeoutCapMs: 1000 });
      const outcome = r.outcome.result === 'terminal' ? 'dead' : r.outcome.result;
      return {
        outcome,
        reason: r.outcome.result === 'delivered' ? undefined : r.outcome.error,
        outbound: sent,
        codeRow: r.heard ? reader.compiled.codeFor(r.heard.kind, r.heard.code)?.key : undefined,
        branches: r.branch ? [r.branch] : [],
      };
    },
    async close() {
      await destinations.close();
      await rt.journal.drain().catch(() => undefined);
      await rt.store.close();
    },
  };
}

function stringValues(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );
}
