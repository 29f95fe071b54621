/**
 * P云 answering slowly while Tencent keeps sending: the sandbox P云 holds every answer for
 * `delayMs`; Tencent T1 status syncs (each a P云 grant/sync) arrive at a steady `ratePerSecond`
 * whatever happens to the earlier ones (an open load, as a partner's traffic is). couponbridge must
 * keep at most `maxInFlight` calls waiting on P云 and answer the excess at once with Tencent's
 * "busy, retry" (500000, HTTP 503) rather than queue it. Used by test/http/in-flight.test.ts (a few
 * seconds) and `npm run slow-upstream` (a minute by default). The RSS is the whole process: the
 * load generator and couponbridge share it.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startStack } from './stack';

export interface SlowUpstreamOptions {
  seconds: number;
  ratePerSecond: number;
  maxInFlight: number;
  delayMs: number;
  timeoutMs: number;
}

export interface SlowUpstreamResult {
  sent: number;
  /** "HTTP 200 code 0", "HTTP 503 code 500000", … → count. */
  answers: Record<string, number>;
  /** The most calls ever in flight to P云, sampled every 10 ms. */
  maxInFlightSeen: number;
  /** Grant/syncs the sandbox P云 received. */
  reachedPyun: number;
  /** Refusals (busy): median, 99th percentile and slowest; the slowest answer of any kind. */
  refusalP50Ms: number;
  refusalP99Ms: number;
  slowestRefusalMs: number;
  slowestMs: number;
  /** The longest the event loop was blocked (host stalls included: generator and server share it). */
  eventLoopDelayMaxMs: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssPeakMb: number;
}

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

export async function runSlowUpstream(o: SlowUpstreamOptions): Promise<SlowUpstreamResult> {
  // Its T1 traffic names coupons the ledger never held: the legacy fallback sends them to P云.
  const stack = await startStack({
    pyunTimeoutMs: o.timeoutMs,
    pyunMaxInFlight: o.maxInFlight,
    extraYaml: 'grant_serial_fallback: coupon_id',
  });
  const limit = stack.running.rt.upstreams.get('pyun')!.inFlight;
  try {
    const send = () =>
      stack.tencent('/tencent/coupon/status/rsync', {
        app_channel_id: 0,
        user_code: 'u-slow',
        stock_id: 'cb-demo-001',
        coupon_id: `C${randomUUID().slice(0, 12)}`,
        coupon_status: 2,
      });
    for (let i = 0; i < 20; i++) await send(); // warm: compiled paths, pools, allocations
    stack.sandbox.clear();
    stack.sandbox.fault('pyun', { mode: 'slow', delayMs: o.delayMs });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let maxInFlightSeen = 0;
    const answers: Record<string, number> = {};
    const refusals: number[] = [];
    let slowestMs = 0;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const pending = new Set<Promise<void>>();

    const sampler = setInterval(() => {
      maxInFlightSeen = Math.max(maxInFlightSeen, limit.current);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 10);
    const started = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = performance.now() - started;
        if (elapsed >= o.seconds * 1000) {
          clearInterval(tick);
          resolve();
          return;
        }
        // Catch up to the rate: timers on a busy machine fire late, the partner does not wait.
        while (sent < (elapsed / 1000) * o.ratePerSecond) {
          sent += 1;
          const t0 = performance.now();
          const p = send().then(
            (r) => {
              const ms = performance.now() - t0;
              const key = `HTTP ${r.status} code ${String(r.json?.code)}`;
              answers[key] = (answers[key] ?? 0) + 1;
              slowestMs = Math.max(slowestMs, ms);
              if (r.status === 503) refusals.push(ms);
            },
            (e: Error) => {
              const key = `transport error ${e.message}`;
              answers[key] = (answers[key] ?? 0) + 1;
            },
          );
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
      }, 5);
    });
    await Promise.all([...pending]);
    clearInterval(sampler);
    loop.disable();
    refusals.sort((a, b) => a - b);
    const pct = (q: number) =>
      Math.round(refusals[Math.min(refusals.length - 1, Math.floor(refusals.length * q))] ?? 0);
    return {
      sent,
      answers,
      maxInFlightSeen,
      reachedPyun: stack.sandbox.requests({ target: 'pyun' }).length,
      refusalP50Ms: pct(0.5),
      refusalP99Ms: pct(0.99),
      slowestRefusalMs: Math.round(refusals.at(-1) ?? 0),
      slowestMs: Math.round(slowestMs),
      eventLoopDelayMaxMs: Math.round(loop.max / 1e6),
      rssBeforeMb: mb(rssBefore),
      rssAfterMb: mb(process.memoryUsage().rss),
      rssPeakMb: mb(rssPeak),
    };
  } finally {
    stack.sandbox.fault('pyun', null);
    await stack.close();
  }
}
