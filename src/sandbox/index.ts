/**
 * Simulated P云, Tencent and Dianping platforms on loopback ports, for the tests, the benchmark
 * (as its fake upstream) and `npm start`. Each verifies signatures as the real platform does and
 * answers in its real envelope; every request is recorded, and a fault can be injected per
 * platform, in process (`sandbox.fault`) or over HTTP (`POST <url>/__sandbox/fault`; see server.ts).
 * `clear()` forgets recordings only: business state (redeemed grants, consumed orders, nonces)
 * lives as long as the sandbox, as it would on the real platforms.
 */
import { getDialect } from '../dialects';
import { DianpingPlatform } from './dianping';
import { PyunPlatform } from './pyun';
import {
  PlatformServer,
  type Fault,
  type Platform,
  type RecordedRequest,
  type RequestFilter,
  type Target,
} from './server';
import { TENCENT_PREFIX, TencentPlatform } from './tencent';
import { pyunFormSign } from './signatures';

export type { Fault, Platform, RecordedRequest, RequestFilter, Target } from './server';
export { EVENT_PATH, GRANT_SYNC_PATH, grantSerialFor } from './pyun';
export { TENCENT_PREFIX } from './tencent';

export interface SandboxOptions {
  pyun: { app_id: string; app_secret: string };
  tencent?: { api_key: string; secret: string };
  dianping?: { app_key: string; secret: string; scheme?: string; empty_values?: 'skip' | 'sign' };
  host?: string;
  /** Fixed ports; 0 or absent picks a free one. */
  ports?: Partial<Record<Target, number>>;
  /** false: accept any key id and signature (benchmark fake upstream). Default true. */
  verifySignatures?: boolean;
  /** Tencent timestamp window and nonce memory, seconds. Default 300. */
  replayWindowS?: number;
  /** Recorded requests kept per platform (oldest dropped first). Default 10000. */
  maxRecorded?: number;
  /**
   * More simulated platforms, by dialect name (a dialect registered at runtime brings its own
   * stub); each listens on a port of its own, its URL in `urls`.
   */
  platforms?: Record<string, Platform>;
}

export interface Sandbox {
  pyunUrl: string;
  /** Includes the production mount `/openplatform/api/v1/coupon`. */
  tencentUrl: string;
  dianpingUrl: string;
  /** Every platform's base URL by target (Tencent's without the production mount). */
  urls: Record<Target, string>;
  requests(filter?: RequestFilter): RecordedRequest[];
  clear(): void;
  fault(target: Target, f: Fault | null): void;
  /** Sends a P云 payment push to `url`, signed with the sandbox's P云 app (form, pyun-form-md5). */
  push(url: string, fields: Record<string, unknown>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const verifySignatures = opts.verifySignatures ?? true;
  const maxRecorded = opts.maxRecorded ?? 10_000;
  const platforms: Record<Target, Platform> = {
    pyun: new PyunPlatform({ ...opts.pyun, verifySignatures }),
    tencent: new TencentPlatform({ ...opts.tencent, verifySignatures, windowS: opts.replayWindowS ?? 300 }),
    dianping: new DianpingPlatform({
      ...opts.dianping,
      scheme: opts.dianping?.scheme ?? getDialect('dianping').defaultScheme,
      verifySignatures,
    }),
  };
  for (const [target, platform] of Object.entries(opts.platforms ?? {})) {
    getDialect(target); // a stub simulates a known dialect: its recordings are parsed with it
    if (target in platforms) throw new Error(`sandbox platform ${target} is already simulated`);
    platforms[target] = platform;
  }
  const servers = {} as Record<Target, PlatformServer>;
  const urls = {} as Record<Target, string>;
  try {
    for (const [target, platform] of Object.entries(platforms)) {
      servers[target] = new PlatformServer(platform, maxRecorded);
      urls[target] = await servers[target].listen(host, opts.ports?.[target] ?? 0);
    }
  } catch (e) {
    await Promise.all(Object.values(servers).map((s) => s.server.listening && s.close()));
    throw e;
  }
  const all = Object.values(servers);
  return {
    pyunUrl: urls.pyun,
    tencentUrl: urls.tencent + TENCENT_PREFIX,
    dianpingUrl: urls.dianping,
    urls,
    requests: (filter = {}) => all.flatMap((s) => s.requests(filter)).sort((a, b) => a.seq - b.seq),
    clear: () => all.forEach((s) => s.clear()),
    fault: (target, f) => servers[target].setFault(f),
    push: (url, fields) => postForm(url, signedPyunPush(fields, opts.pyun.app_id, opts.pyun.app_secret)),
    close: async () => {
      await Promise.all(all.map((s) => s.close()));
    },
  };
}

/**
 * The form body of a P云 push as P云 sends it: `fields` plus `app_id`, `timestamp` (now, epoch
 * ms), `sign_type=MD5` and `sign` (pyun-form-md5 with the receiving app's secret).
 */
export function signedPyunPush(fields: Record<string, unknown>, app_id: string, secret: string): string {
  const common = ['app_id', 'timestamp', 'sign_type', 'sign'];
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (common.includes(k) || v === undefined || v === null) continue;
    values[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  Object.assign(values, { app_id, timestamp: String(Date.now()), sign_type: 'MD5' });
  // signed by the sandbox's own rule (signatures.ts), so couponbridge's verifier meets an independent signer
  return new URLSearchParams({ ...values, sign: pyunFormSign(values, secret).sign }).toString();
}

async function postForm(url: string, body: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body,
  });
  return { status: res.status, body: await res.text() };
}
