/**
 * Entry point of a process under test: `node <bundle of bench/child.ts> <role> '<json args>'`,
 * spawned by bench/lib/child.ts with an IPC channel. Reports `ready` with its URL, answers the
 * probe's requests (lib/protocol.ts), and on `stop` (or when the parent goes away) closes and exits.
 */
import cluster from 'node:cluster';
import { Probe } from './lib/probe';
import type { FromChild, Role, RoleArgs, ToChild } from './lib/protocol';
import type { Started } from './roles/listen';

function required(v: string | undefined, name: string): string {
  if (!v) throw new Error(`${name} is required`);
  return v;
}

type Upstream = typeof import('./roles/upstream');
type Proxies = typeof import('./roles/proxies');
type Couponbridge = typeof import('./roles/couponbridge');
type Outbox = typeof import('./roles/outbox');

/** Each role requires only its own modules, so a small server's RSS is not couponbridge's. */
function start(role: Role, a: RoleArgs): Promise<Started> {
  switch (role) {
    case 'upstream':
      return (require('./roles/upstream') as Upstream).startUpstream();
    case 'bare-proxy':
      return (require('./roles/proxies') as Proxies).startBareProxy(required(a.upstreamUrl, 'upstreamUrl'));
    case 'express-proxy':
      return (require('./roles/proxies') as Proxies).startExpressProxy(
        required(a.upstreamUrl, 'upstreamUrl'),
      );
    case 'couponbridge':
      return (require('./roles/couponbridge') as Couponbridge).startCouponbridge(
        required(a.upstreamUrl, 'upstreamUrl'),
        required(a.workDir, 'workDir'),
        a.store,
        a.workers,
        a.offLoopWrites,
      );
    case 'outbox':
      return (require('./roles/outbox') as Outbox).startOutboxDrain(
        required(a.upstreamUrl, 'upstreamUrl'),
        required(a.workDir, 'workDir'),
        a.count ?? 0,
        a.store,
      );
    default:
      throw new Error(`unknown role ${String(role)}`);
  }
}

function reply(m: FromChild): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
}

async function main(): Promise<void> {
  const [role, args = '{}'] = process.argv.slice(2);
  if (cluster.isWorker) {
    // a couponbridge cluster worker (roles/couponbridge.ts startPrimary): serves, reports nothing
    const a = JSON.parse(args) as RoleArgs;
    await (require('./roles/couponbridge') as Couponbridge).startCouponbridgeWorker(
      required(a.upstreamUrl, 'upstreamUrl'),
      required(a.workDir, 'workDir'),
      a.store,
    );
    return;
  }
  let started: Started;
  try {
    started = await start(role as Role, JSON.parse(args) as RoleArgs);
  } catch (e) {
    await reply({ type: 'failed', error: (e as Error).stack ?? String(e) });
    process.exit(1);
  }
  let exiting: Promise<void> | undefined;
  const exit = (): Promise<void> => (exiting ??= started.close().then(() => process.exit(0)));
  const probe = new Probe(started.work, started.pids);
  const answer = async (m: ToChild): Promise<FromChild> => {
    if (m.type === 'stats') return { type: 'stats', ...probe.stats() };
    if (m.type === 'window') probe.startWindow();
    else if (m.type === 'profile-start') await probe.profileStart();
    else if (m.type === 'profile-stop') await probe.profileStop(m.file);
    return { type: 'done' };
  };
  process.on('message', (m: ToChild) => {
    if (m.type === 'stop') void exit();
    else void answer(m).then(reply);
  });
  process.on('disconnect', () => void exit());
  await reply({ type: 'ready', url: started.url, routes: started.routes });
}

void main();
