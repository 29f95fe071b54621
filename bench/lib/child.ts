/**
 * Runs a process under test (bench/child.ts in one role) as a child on a chosen core, so its CPU
 * time and RSS are its own and not the load generator's. It runs the esbuild bundle of the child:
 * plain node, as production runs dist/ (tsx would add its loader thread's memory). Requests to
 * the child's probe are sequential: each waits for its answer before the next is sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { projectRoot } from '../../src/util/paths';
import { childBundle } from './build';
import { benchSecrets } from './fixture';
import { onCore, type Pinning } from './pinning';
import type { FromChild, ProcessStats, Role, RoleArgs, ToChild } from './protocol';

export interface RoleProcess {
  role: Role;
  pid: number;
  url: string;
  /** Route ids couponbridge loaded (empty for other roles). */
  routes: string[];
  stats(): Promise<ProcessStats>;
  /** Starts a new RSS window (see ProcessStats.windowPeakRssBytes). */
  window(): Promise<void>;
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  pin: Pinning;
  /** The core to pin the process to; `all`: not pinned (every core). */
  core: number | 'all';
  args?: RoleArgs;
}

// A start on a busy shared machine (PostgreSQL connection, outbox rows enqueued) can take long.
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function waitReady(child: ChildProcess, role: Role): Promise<{ url: string; routes: string[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${role}: not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
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

function ask(child: ChildProcess, m: ToChild): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error(`process under test exited while asked ${m.type}`));
    child.once('exit', onExit);
    child.once('message', (answer: FromChild) => {
      child.off('exit', onExit);
      resolve(answer);
    });
    child.send(m);
  });
}

export async function spawnRole(role: Role, o: SpawnOptions): Promise<RoleProcess> {
  const cmd = [process.execPath, childBundle(), role, JSON.stringify(o.args ?? {})];
  // the load generator pinned itself, and a child inherits that: `all` is said explicitly
  const argv =
    o.core === 'all'
      ? o.pin.enabled
        ? ['taskset', '-c', `0-${cpus().length - 1}`, ...cmd]
        : cmd
      : onCore(o.pin, o.core, cmd);
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
  const done = async (m: ToChild): Promise<void> => {
    await ask(child, m);
  };
  return {
    role,
    pid: child.pid!,
    url: ready.url,
    routes: ready.routes,
    stats: async () => {
      const { type: _type, ...s } = (await ask(child, { type: 'stats' })) as { type: 'stats' } & ProcessStats;
      return s;
    },
    window: () => done({ type: 'window' }),
    profileStart: () => done({ type: 'profile-start' }),
    profileStop: (file) => done({ type: 'profile-stop', file }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
