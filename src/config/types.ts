/**
 * The validated deployment configuration, as loadConfig returns it (defaults applied, ${ENV}
 * interpolated, relative paths made absolute). Hand-written to mirror
 * schemas/config/config.schema.json; test/config/load.test.ts checks both against the defaults file.
 */
import type { SchemeName } from '../dialects/types';

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
}

export interface PyunUpstream {
  base_url: string;
  app_id: string;
  app_secret: string;
  timeout_ms: number;
  connections: number;
  coupon_value_unit_for_time: 'fen' | 'minutes';
}

export interface TencentUpstream {
  base_url?: string;
  api_key: string;
  secret: string;
  timeout_ms: number;
  empty_values?: EmptyValues;
}

export interface DianpingUpstream {
  base_url?: string;
  app_key: string;
  secret: string;
  scheme: 'dianping-sha1' | 'dianping-router-md5';
  timeout_ms: number;
  empty_values?: EmptyValues;
}

/** One caller. Which key-id/secret keys are present depends on the dialect (checked at load). */
export interface PartnerConfig {
  id: string;
  dialect: string;
  api_key?: string;
  app_key?: string;
  app_id?: string;
  secret?: string;
  app_secret?: string;
  /** [current, previous] instead of the dialect's secret key, while a secret is being rotated. */
  secrets?: string[];
  scheme?: SchemeName;
  empty_values?: EmptyValues;
  timestamp_unit?: 'auto' | 's' | 'ms';
  defaults?: Record<string, string>;
  notify?: { base_url: string };
  /** At most `burst` requests in any burst/per_second-second window (schemas/config). */
  rate_limit?: { per_second: number; burst: number };
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

export interface Config {
  server: ServerConfig;
  /** `sqlite:<absolute path>`, `sqlite::memory:`, or a postgres:// / postgresql:// URL. */
  store: string;
  /** Absolute directory. */
  mappings: string;
  replay: { window_s: number };
  journal: { max_age_days: number; max_rows: number };
  log: { level: LogLevel; mask_plates: boolean };
  upstreams: { pyun: PyunUpstream; tencent?: TencentUpstream; dianping?: DianpingUpstream };
  partners: PartnerConfig[];
  outbox: OutboxConfig;
  grant_serial_fallback: 'coupon_id' | 'none';
}

/** What the loader returns: the config plus non-fatal findings (e.g. a secret written literally). */
export type LoadedConfig = Config & { warnings: string[] };
