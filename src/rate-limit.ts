/**
 * Rate limits per partner (partners[].rate_limit: { per_second, burst }) with rate-limiter-flexible:
 * a fixed window of burst/per_second seconds holding `burst` points, so a partner may send `burst`
 * requests at once and never more than per_second on average. In memory on SQLite (one instance);
 * on PostgreSQL in the table `rate_limits` of the store's schema — created by rate-limiter-flexible
 * itself (CREATE TABLE IF NOT EXISTS, not a migration) — on the store's own pool, so the limit holds
 * across every instance (the library deletes expired rows every 5 minutes). Should PostgreSQL
 * fail, an in-memory limiter of the same shape answers (per instance) rather than refusing or
 * waving through everything.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Pool } from 'pg';
import type { Config, PartnerConfig } from './config/types';
import { CbError } from './errors';

export const RATE_LIMIT_TABLE = 'rate_limits';

export interface RateLimits {
  /** Counts one request of the partner; throws CB_RATE_LIMITED when it is over its limit. */
  take(partnerId: string): Promise<void>;
}

type Limit = NonNullable<PartnerConfig['rate_limit']>;

/** Loaded only when a partner has a rate_limit: the library's index pulls in every store it supports. */
function library(): typeof import('rate-limiter-flexible') {
  return require('rate-limiter-flexible') as typeof import('rate-limiter-flexible');
}

function shape(id: string, limit: Limit): { keyPrefix: string; points: number; duration: number } {
  return { keyPrefix: `partner:${id}`, points: limit.burst, duration: limit.burst / limit.per_second };
}

function limitsOf(limiters: Map<string, RateLimiterAbstract>): RateLimits {
  return {
    async take(partnerId) {
      const limiter = limiters.get(partnerId);
      if (!limiter) return;
      try {
        await limiter.consume('all');
      } catch (e) {
        if (!(e instanceof library().RateLimiterRes)) throw e;
        const wait = Math.ceil(e.msBeforeNext / 100) / 10;
        throw new CbError(
          'CB_RATE_LIMITED',
          `partner ${partnerId} is over its rate limit; retry in ${wait} s`,
        );
      }
    },
  };
}

function configured(config: Config): Array<[string, Limit]> {
  return config.partners.flatMap((p) => (p.rate_limit ? [[p.id, p.rate_limit] as [string, Limit]] : []));
}

/**
 * Limits shared by the workers of one `serve` (server.workers > 1) when the store cannot share
 * them (SQLite): kept in the cluster primary's memory (clusterRateLimitPrimary) and asked over
 * IPC — one round trip per limited request — so N workers hold a partner to one limit, not N.
 */
export function clusterRateLimits(config: Config): RateLimits {
  const limits = configured(config);
  if (limits.length === 0) return { take: () => Promise.resolve() };
  const { RateLimiterCluster } = library();
  return limitsOf(
    new Map(limits.map(([id, l]) => [id, new RateLimiterCluster({ ...shape(id, l), timeoutMs: 2000 })])),
  );
}

/** In the cluster primary, before the workers start: the memory behind clusterRateLimits. */
export function clusterRateLimitPrimary(config: Config): void {
  if (configured(config).length > 0) new (library().RateLimiterClusterMaster)();
}

/** Per-instance limits, kept in memory. */
export function memoryRateLimits(config: Config): RateLimits {
  const limits = configured(config);
  if (limits.length === 0) return { take: () => Promise.resolve() };
  const { RateLimiterMemory } = library();
  return limitsOf(new Map(limits.map(([id, l]) => [id, new RateLimiterMemory(shape(id, l))])));
}

function postgresLimiter(
  pool: Pool,
  schema: string | undefined,
  id: string,
  limit: Limit,
): Promise<RateLimiterAbstract> {
  const { RateLimiterMemory, RateLimiterPostgres } = library();
  return new Promise((resolve, reject) => {
    const limiter = new RateLimiterPostgres(
      {
        ...shape(id, limit),
        storeClient: pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        schemaName: schema,
        insuranceLimiter: new RateLimiterMemory(shape(id, limit)),
      },
      (err?: Error) => (err ? reject(err) : resolve(limiter)),
    );
  });
}

/** Limits shared by every instance on one PostgreSQL schema. */
export async function postgresRateLimits(
  config: Config,
  pool: Pool,
  schema: string | undefined,
): Promise<RateLimits> {
  const limiters = new Map<string, RateLimiterAbstract>();
  for (const [id, limit] of configured(config)) {
    try {
      limiters.set(id, await postgresLimiter(pool, schema, id, limit));
    } catch {
      // two instances starting together may race on CREATE TABLE IF NOT EXISTS: the table now exists
      limiters.set(id, await postgresLimiter(pool, schema, id, limit));
    }
  }
  return limitsOf(limiters);
}
