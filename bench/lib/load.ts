/**
 * The two kinds of load pass.
 * - saturate: autocannon, closed loop, N keep-alive connections as fast as the server answers:
 *   gives the maximum throughput (latency here is queueing at saturation).
 * - paced: open loop at a fixed rate through an undici pool, requests spread evenly (every
 *   millisecond the requests due so far are sent). autocannon's own `overallRate` is not used for
 *   this: it gives each connection a per-second quota that it spends back to back at the start
 *   of every second (autocannon/lib/httpClient.js, `reqsMadeThisSecond`), so half the rate is full
 *   saturation for half of each second and its p99 is the saturated p99.
 * Every answer is checked (status 2xx and the success envelope); failures are counted and the
 * first few kept for the report.
 */
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { Latencies } from './latency';

export interface LoadTarget {
  url: string;
  path: string;
  contentType: string;
  /** A fixed body, or a function giving the next one (fresh nonce per request). */
  body: string | (() => string);
  isSuccess(body: string): boolean;
}

export interface PassResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** non-2xx + wrong answer body + socket errors + timeouts. */
  failed: number;
  failureSamples: string[];
}

const MAX_SAMPLES = 3;
const SAMPLE_CHARS = 300;

class Failures {
  count = 0;
  samples: string[] = [];
  add(what: string): void {
    this.count++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(what.slice(0, SAMPLE_CHARS));
  }
}

function nextBody(t: LoadTarget): () => string {
  const b = t.body;
  return typeof b === 'string' ? () => b : b;
}

export function saturate(t: LoadTarget, connections: number, seconds: number): Promise<PassResult> {
  const latencies = new Latencies();
  const failures = new Failures();
  const next = nextBody(t);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: t.url,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: t.path,
            headers: { 'content-type': t.contentType },
            setupRequest: (req) => ({ ...req, body: next() }),
          },
        ],
        verifyBody: (body) => {
          if (t.isSuccess(body)) return true;
          failures.add(`answer: ${body}`);
          return false;
        },
      },
      (err, r) => {
        if (err) return reject(err);
        if (r.non2xx > 0) failures.samples.push(`${r.non2xx} non-2xx answers`);
        if (r.errors + r.timeouts > 0)
          failures.samples.push(`${r.errors} socket errors, ${r.timeouts} timeouts`);
        const [p50Ms, p99Ms] = latencies.percentiles(0.5, 0.99);
        resolve({
          requests: r.requests.total,
          seconds: r.duration,
          rps: r.requests.total / r.duration,
          p50Ms,
          p99Ms,
          failed: r.non2xx + r.mismatches + r.errors + r.timeouts,
          failureSamples: failures.samples,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) =>
      latencies.add(ms),
    );
  });
}

export async function paced(
  t: LoadTarget,
  rate: number,
  seconds: number,
  connections: number,
): Promise<PassResult> {
  const pool = new Pool(t.url, { connections });
  const latencies = new Latencies();
  const failures = new Failures();
  const next = nextBody(t);
  const total = Math.max(1, Math.round(rate * seconds));
  const one = async (): Promise<void> => {
    const body = next();
    const started = performance.now();
    try {
      const res = await pool.request({
        method: 'POST',
        path: t.path,
        headers: { 'content-type': t.contentType },
        body,
      });
      const text = await res.body.text();
      latencies.add(performance.now() - started);
      if (res.statusCode < 200 || res.statusCode > 299) failures.add(`HTTP ${res.statusCode}: ${text}`);
      else if (!t.isSuccess(text)) failures.add(`answer: ${text}`);
    } catch (e) {
      failures.add(`error: ${(e as Error).message}`);
    }
  };
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (inflight.length < due) inflight.push(one());
      if (inflight.length >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  const [p50Ms, p99Ms] = latencies.percentiles(0.5, 0.99);
  return {
    requests: total,
    seconds: elapsed,
    rps: total / elapsed,
    p50Ms,
    p99Ms,
    failed: failures.count,
    failureSamples: failures.samples,
  };
}
