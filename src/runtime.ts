/**
 * The runtime: everything a request needs, built once from the configuration and the mapping
 * directory — dialects resolved, partner credentials indexed by (dialect, key id), one
 * keep-alive client per upstream, compiled mappings indexed by method + path. The route table
 * is swapped whole on a mapping hot-reload; a request in flight keeps the table it started with.
 */
import type { Logger } from 'winston';
import { getDialect } from './dialects';
import { collectSecrets } from './config/load';
import type { Credentials, Dialect, Entropy, UpstreamClient } from './dialects/types';
import type { Config, PartnerConfig } from './config/types';
import type { LoadedMapping, MappingSet } from './mapping/load';
import type { CompiledMapping } from './mapping/compile';
import type { MappingDoc, StockEntry } from './mapping/types';
import type { SchemaRegistry } from './schema/registry';
import type { NonceMemory } from './ledger/replay-guard';
import type { ExchangeRecord, NonceEntry, Store } from './store/types';
import { createBatcher, type Batcher } from './util/batcher';
import { createInFlightLimit, type InFlightLimit } from './http/in-flight';
import { isCbError } from './errors';
import { memoryRateLimits, type RateLimits } from './rate-limit';

export { getDialect };

export interface Partner {
  id: string;
  dialect: Dialect;
  /** Signing and verification credentials; `creds.secret` is the current secret. */
  creds: Credentials;
  /** Every secret that verifies, current first ([current, previous] while rotating). */
  secrets: string[];
  defaults: Record<string, unknown>;
  timestampUnit: 'auto' | 's' | 'ms';
  config: PartnerConfig;
}

export interface Upstream {
  name: string;
  dialect: Dialect;
  creds: Credentials;
  client: UpstreamClient;
  baseUrl: string;
  timeoutMs: number;
  /** Calls in flight to it, capped by max_in_flight (translated routes and the passthrough share it). */
  inFlight: InFlightLimit;
}

export interface Route {
  id: string;
  file: string;
  doc: MappingDoc;
  mapping: CompiledMapping;
  dialect: Dialect;
  methods: string[];
  target?: {
    dialect: Dialect;
    upstream: string;
    endpoint: { method: 'GET' | 'POST'; path: string; encoding: 'json' | 'form' | 'query' };
    answerSchema?: string;
  };
}

export interface RouteTable {
  routes: Map<string, Route>;
  byId: Map<string, Route>;
  stocks: Record<string, StockEntry>;
  set: MappingSet;
}

export interface Runtime {
  config: Config;
  registry: SchemaRegistry;
  logger: Logger;
  partners: Map<string, Partner>;
  upstreams: Map<string, Upstream>;
  table: RouteTable;
  nonces: NonceMemory;
  store: Store;
  journal: Batcher<ExchangeRecord, Error | undefined>;
  /** Every secret known to the runtime, for log redaction. */
  secrets: string[];
  /** Per-partner rate limits (in memory; startServer shares them through PostgreSQL when it can). */
  rateLimits: RateLimits;
  /** Random values of outbound messages and answers; absent: node:crypto (the contract tests inject a counter). */
  entropy?: Entropy;
}

export function partnerKey(dialect: string, keyId: string): string {
  return `${dialect}\u0000${keyId}`;
}

export function partnerCredentials(p: PartnerConfig, dialect: Dialect): Credentials {
  const raw = p as unknown as Record<string, unknown>;
  const keyId = raw[dialect.credentialKeys.keyId];
  const secret = p.secrets?.[0] ?? raw[dialect.credentialKeys.secret];
  if (typeof keyId !== 'string' || typeof secret !== 'string') {
    throw new Error(
      `partner ${p.id}: needs ${dialect.credentialKeys.keyId} and ${dialect.credentialKeys.secret}`,
    );
  }
  return {
    keyId,
    secret,
    scheme: p.scheme ?? dialect.defaultScheme,
    schemeOptions: p.empty_values ? { emptyValues: p.empty_values } : undefined,
  };
}

function buildPartners(config: Config): Map<string, Partner> {
  const out = new Map<string, Partner>();
  for (const p of config.partners) {
    const dialect = getDialect(p.dialect);
    const creds = partnerCredentials(p, dialect);
    out.set(partnerKey(dialect.name, creds.keyId), {
      id: p.id,
      dialect,
      creds,
      secrets: p.secrets ?? [creds.secret],
      defaults: p.defaults ?? {},
      timestampUnit: p.timestamp_unit ?? 'auto',
      config: p,
    });
  }
  return out;
}

function buildUpstreamCredentials(config: Config): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    if (!u || !u.base_url) continue;
    const dialect = getDialect(name);
    const raw = u as unknown as Record<string, unknown>;
    out.set(name, {
      keyId: String(raw[dialect.credentialKeys.keyId]),
      secret: String(raw[dialect.credentialKeys.secret]),
      scheme: typeof raw.scheme === 'string' ? raw.scheme : dialect.defaultScheme,
      schemeOptions: raw.empty_values ? { emptyValues: raw.empty_values as 'skip' | 'sign' } : undefined,
    });
  }
  return out;
}

function buildUpstreams(config: Config): Map<string, Upstream> {
  const out = new Map<string, Upstream>();
  const credentials = buildUpstreamCredentials(config);
  for (const [name, u] of Object.entries(config.upstreams)) {
    const creds = credentials.get(name);
    if (!u?.base_url || !creds) continue;
    const dialect = getDialect(name);
    const raw = u as unknown as Record<string, unknown>;
    const inFlight = createInFlightLimit(name, u.max_in_flight);
    out.set(name, {
      name,
      dialect,
      creds,
      baseUrl: u.base_url,
      timeoutMs: u.timeout_ms,
      inFlight,
      client: dialect.createClient({
        baseUrl: u.base_url,
        timeoutMs: u.timeout_ms,
        // Every call admitted gets a connection at once: a call waiting in the pool for one would,
        // behind a slow upstream, spend its timeout there and fail anyway (measured: issue 10).
        connections: Math.max((raw.connections as number | undefined) ?? 32, u.max_in_flight),
        inFlight,
      }),
    });
  }
  return out;
}

function toRoute(m: LoadedMapping): Route {
  const doc = m.doc;
  const dialect = getDialect(doc.inbound.dialect);
  const route: Route = {
    id: doc.id,
    file: m.file,
    doc,
    mapping: m.compiled,
    dialect,
    methods: doc.inbound.methods ?? ['POST'],
  };
  if (doc.target) {
    route.target = {
      dialect: getDialect(doc.target.dialect),
      upstream: doc.target.upstream ?? doc.target.dialect,
      endpoint: {
        method: doc.target.method ?? 'POST',
        path: doc.target.path,
        encoding: doc.target.encoding ?? 'form',
      },
      answerSchema: doc.target.answer_schema,
    };
  }
  return route;
}

export function buildRouteTable(set: MappingSet): RouteTable {
  const routes = new Map<string, Route>();
  const byId = new Map<string, Route>();
  for (const m of set.mappings) {
    const r = toRoute(m);
    byId.set(r.id, r);
    for (const method of r.methods) routes.set(`${method} ${r.doc.inbound.path}`, r);
  }
  return { routes, byId, stocks: set.stocks, set };
}

export function createRuntime(
  config: Config,
  deps: {
    registry: SchemaRegistry;
    logger: Logger;
    store: Store;
    nonces?: NonceMemory;
    table: RouteTable;
    entropy?: Entropy;
  },
): Runtime {
  return {
    config,
    registry: deps.registry,
    logger: deps.logger,
    partners: buildPartners(config),
    upstreams: buildUpstreams(config),
    table: deps.table,
    nonces: deps.nonces ?? createStoreNonces(deps.store),
    store: deps.store,
    journal: createJournalWriter(deps.store),
    secrets: collectSecrets(config),
    rateLimits: memoryRateLimits(config),
    entropy: deps.entropy,
  };
}

/**
 * Nonces kept in the store, so replay protection survives restarts and spans instances. The
 * inserts of concurrent requests are group-committed (one transaction per event-loop turn); each
 * request still waits for its own nonce to be stored before it goes on.
 */
export function createStoreNonces(store: Store): NonceMemory {
  const batch = createBatcher((entries: NonceEntry[]) => store.rememberNonces(entries, new Date()), {
    maxItems: 256,
    maxWaitMs: 0,
  });
  return {
    remember: (scope, nonce, expiresAtMs) => batch.add({ scope, nonce, expiresAt: new Date(expiresAtMs) }),
  };
}

/**
 * The exchange journal's writer: records are batched off the request path (≤ 20 ms, ≤ 128 a
 * transaction); each add() resolves with the error that lost that record, if any. While the store
 * cannot serve, a batch is lost whole (each record's loss is logged with its exchange id; the
 * journal is a record of answers already sent, not something a caller was promised), so an outage
 * costs neither memory nor a second round of failing writes.
 */
export function createJournalWriter(store: Store): Batcher<ExchangeRecord, Error | undefined> {
  return createBatcher(
    async (list: ExchangeRecord[]): Promise<Array<Error | undefined>> => {
      try {
        await store.appendExchanges(list);
        return list.map(() => undefined);
      } catch (e) {
        if (isCbError(e) && e.code === 'CB_STORE_UNAVAILABLE') return list.map(() => e);
        // One bad record must not cost the batch: write them one by one; only failures are lost (and logged).
        const results = await Promise.allSettled(list.map((x) => store.appendExchange(x)));
        return results.map((r) => (r.status === 'rejected' ? (r.reason as Error) : undefined));
      }
    },
    { maxItems: 128, maxWaitMs: 20 },
  );
}

/**
 * Swaps in the credentials of a freshly loaded config without a restart (SIGHUP on `serve`):
 * partners (keys, secrets, rotation lists) and the upstreams' key ids and secrets. A request in
 * flight keeps what it already read. Base URLs and pools are not changed by a reload.
 */
export function reloadCredentials(rt: Runtime, config: Config): void {
  const fresh = buildUpstreamCredentials(config);
  for (const [name, u] of rt.upstreams) {
    const creds = fresh.get(name);
    if (creds) u.creds = creds;
  }
  rt.partners = buildPartners(config);
  rt.config.partners = config.partners;
  rt.config.upstreams = config.upstreams;
  rt.secrets = collectSecrets(config);
}

export async function closeRuntime(rt: Runtime): Promise<void> {
  await Promise.all([...rt.upstreams.values()].map((u) => u.client.close()));
  await rt.journal.drain().catch(() => undefined);
  await rt.store.close();
}
