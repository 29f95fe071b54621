/**
 * The validated deployment configuration, as loadConfig returns it (defaults applied, ${ENV}
 * interpolated, relative paths made absolute). Hand-written to mirror the configuration schema
 * (src/config/schema.ts); the dialect-dependent parts (upstream options, partner credential keys)
 * are open here and checked by that schema and src/config/rules.ts.
 */

export type EmptyValues = 'skip' | 'sign';
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

export interface ServerConfig {
  host: string;
  port: number;
  body_limit_bytes: number;
  request_timeout_ms: number;
  headers_timeout_ms: number;
  keep_alive_timeout_ms: number;
  shutdown_grace_ms: number;
  /** Processes serving the port (server/cluster.ts); auto: os.availableParallelism(). */
  workers: number | 'auto';
}

/**
 * One `upstreams.<dialect>` section: what every section has, plus the dialect's credential keys and
 * options (its descriptor's `upstream`, e.g. P云's push_secret and connections, Dianping's scheme).
 */
export interface UpstreamConfig {
  /** Absent on an optional upstream: nothing is sent to it. */
  base_url?: string;
  timeout_ms: number;
  max_in_flight: number;
  empty_values?: EmptyValues;
  [dialectOption: string]: unknown;
}

/** One caller. Its credential keys are its dialect's (e.g. tencent api_key + secret; checked at load). */
export interface PartnerConfig {
  id: string;
  dialect: string;
  /** [current, previous] instead of the dialect's secret key, while a secret is being rotated. */
  secrets?: string[];
  /** A scheme of the partner's dialect; absent: the dialect's default. */
  scheme?: string;
  empty_values?: EmptyValues;
  timestamp_unit?: 'auto' | 's' | 'ms';
  defaults?: Record<string, string>;
  notify?: { base_url: string };
  /** At most `burst` requests in any burst/per_second-second window (schemas/config). */
  rate_limit?: { per_second: number; burst: number };
  /** The dialect's credential keys (key id and secret). */
  [credentialKey: string]: unknown;
}

export interface OutboxConfig {
  retry_schedule_ms: number[];
  jitter: number;
  concurrency_per_destination: number;
  poll_interval_ms: number;
  lease_ms: number;
  /** Per-destination overrides of the retry schedule (upstream name or partner id). */
  destinations?: Record<string, { retry_schedule_ms?: number[]; jitter?: number }>;
}

/** The object form of `store` in the file, less its url (the loader moves that to `store`). */
export interface StoreSettings {
  /** auto (default): serve applies pending migrations; manual: serve refuses to start while any is pending. */
  migrate: 'auto' | 'manual';
  /** PostgreSQL pool size per instance; default: the store's (10). */
  pool_max?: number;
  /**
   * SQLite file store: journal and nonce commits on a worker thread with its own connection
   * (store/write-thread.ts). Default true; false keeps them on the event loop.
   */
  write_thread?: boolean;
}

export interface Config {
  server: ServerConfig;
  /**
   * `sqlite:<absolute path>`, `sqlite::memory:`, or a postgres:// / postgresql:// URL. The file may
   * write `store: URL` or `store: { url: URL, migrate, pool_max, write_thread }`; the loader always gives the URL
   * here and the rest in `store_settings`.
   */
  store: string;
  store_settings: StoreSettings;
  /** Absolute directory. */
  mappings: string;
  replay: { window_s: number; signature_memory_days: number };
  journal: { max_age_days: number; max_rows: number };
  /** The operator console at /console; absent or empty token: off. */
  console?: { token?: string };
  log: { level: LogLevel; mask_plates: boolean };
  /** By dialect name; a section the dialect marks optional is absent unless the file declares it. */
  upstreams: Record<string, UpstreamConfig>;
  partners: PartnerConfig[];
  outbox: OutboxConfig;
  grant_serial_fallback: 'coupon_id' | 'none';
  passthrough: { allow: PassthroughRule[] };
}

/** One P云 path (exact, or a subtree ending in `/**`) a pyun partner may reach through the passthrough. */
export interface PassthroughRule {
  path: string;
  methods?: Array<'GET' | 'POST'>;
}

/** What the loader returns: the config plus non-fatal findings (e.g. a secret written literally). */
export type LoadedConfig = Config & { warnings: string[] };
