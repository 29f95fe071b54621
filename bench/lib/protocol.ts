/** The messages the load generator and a process under test exchange over the IPC channel. */

export type Role = 'upstream' | 'bare-proxy' | 'express-proxy' | 'couponbridge';

export interface RoleArgs {
  /** Where the proxies and couponbridge forward to. */
  upstreamUrl?: string;
  /** couponbridge store URL (a fresh SQLite file per child). */
  store?: string;
}

export interface ProcessStats {
  /** User + system CPU time of the whole process so far, microseconds. */
  cpuUs: number;
  /** Peak resident set size of the process so far, bytes. */
  maxRssBytes: number;
}

export type ToChild = { type: 'stats' } | { type: 'stop' };

export type FromChild =
  | { type: 'ready'; url: string; routes: string[] }
  | ({ type: 'stats' } & ProcessStats)
  | { type: 'failed'; error: string };

export function ownStats(): ProcessStats {
  const cpu = process.cpuUsage();
  return { cpuUs: cpu.user + cpu.system, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}
