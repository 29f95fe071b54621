/** Prometheus metrics (prom-client): exchanges by route and outcome, latency, upstream latency. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  exchanges: Counter<'route' | 'outcome'>;
  duration: Histogram<'route'>;
  upstream: Histogram<'upstream' | 'outcome'>;
  outbox: Counter<'kind' | 'destination' | 'outcome'>;
  outboxSeconds: Histogram<'kind'>;
  rateLimited: Counter<'partner'>;
  writeThreadFailures: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'couponbridge_' });
  return {
    registry,
    exchanges: new Counter({
      name: 'couponbridge_exchanges_total',
      help: 'Inbound exchanges by route and outcome (success, recorded, a CB_ error code, upstream:<code>)',
      labelNames: ['route', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'couponbridge_exchange_seconds',
      help: 'Time from request to answer',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    upstream: new Histogram({
      name: 'couponbridge_upstream_seconds',
      help: 'Upstream call latency',
      labelNames: ['upstream', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outbox: new Counter({
      name: 'couponbridge_outbox_attempts_total',
      help: 'Outbox delivery attempts by notification kind, destination and outcome (delivered, retry, dead)',
      labelNames: ['kind', 'destination', 'outcome'],
      registers: [registry],
    }),
    outboxSeconds: new Histogram({
      name: 'couponbridge_outbox_attempt_seconds',
      help: 'Outbox delivery attempt duration',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'couponbridge_rate_limited_total',
      help: 'Requests refused because their partner was over its rate_limit (label: configured partner id)',
      labelNames: ['partner'],
      registers: [registry],
    }),
    writeThreadFailures: new Counter({
      name: 'couponbridge_write_thread_failures_total',
      help: 'Times the SQLite write thread ended unasked; its journal and nonce commits then run on the event loop',
      registers: [registry],
    }),
  };
}
