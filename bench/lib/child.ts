/**
 * Runs a process under test (bench/child.ts in one role) as a child on a chosen core, so its CPU
 * time and RSS are its own and not the load generator's. It runs the esbuild bundle of the child
 * (plain node, as production runs dist/), or the TypeScript sources under tsx when a CPU profile
 * should name source files. The child answers `stats` with
 * process.cpuUsage() and its peak RSS, and on `stop` closes its server and exits (which is
 * when `--cpu-prof` writes the profile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';
import { childBundle } from './build';
import { benchSecrets } from './fixture';
import { onCore, type Pinning } from './pinning';
import type { FromChild, ProcessStats, Role, RoleArgs, ToChild } from './protocol';

export interface RoleProcess {
  role: Role;
  pid: number;
  url: string;
  /** Route ids couponbridge loaded whose flow is available (empty for other roles). */
  routes: string[];
  stats(): Promise<ProcessStats>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  pin: Pinning;
  core: number;
  args?: RoleArgs;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Run bench/child.ts under tsx instead of the bundle. */
  sources?: boolean;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function send(child: ChildProcess, m: ToChild): void {
  child.send(m);
}

function waitReady(child: ChildProcess, role: Role): Promise<{ url: string; routes: string[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role}: not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${role}: exited (${code}) before it was ready`));
    };
    child.once('exit', onExit);
    child.on('message', function onMessage(m: FromChild) {
      if (m.type !== 'ready' && m.type !== 'failed') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      if (m.type === 'failed') reject(new Error(`${role}: ${m.error}`));
      else resolve({ url: m.url, routes: m.routes });
    });
  });
}

export async function spawnRole(role: Role, o: SpawnOptions): Promise<RoleProcess> {
  const entry = o.sources ? ['--import', 'tsx', join(projectRoot(), 'bench', 'child.ts')] : [childBundle()];
  const argv = onCore(o.pin, o.core, [process.execPath, ...(o.nodeFlags ?? []), ...entry, role, JSON.stringify(o.args ?? {})]);
  const child = spawn(argv[0], argv.slice(1), {
    cwd: projectRoot(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...benchSecrets },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ready: { url: string; routes: string[] };
  try {
    ready = await waitReady(child, role);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const stats = (): Promise<ProcessStats> =>
    new Promise((resolve) => {
      child.on('message', function onStats(m: FromChild) {
        if (m.type !== 'stats') return;
        child.off('message', onStats);
        resolve({ cpuUs: m.cpuUs, maxRssBytes: m.maxRssBytes });
      });
      send(child, { type: 'stats' });
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    send(child, { type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  return { role, pid: child.pid!, url: ready.url, routes: ready.routes, stats, stop };
}
