/**
 * Entry point of a process under test: `node --import tsx bench/child.ts <role> '<json args>'`,
 * spawned by bench/lib/child.ts with an IPC channel. Reports `ready` with its URL, answers
 * `stats`, and on `stop` (or when the parent goes away) closes and exits.
 */
import { ownStats, type FromChild, type Role, type RoleArgs, type ToChild } from './lib/protocol';
import type { Started } from './roles/listen';
import { startCouponbridge } from './roles/couponbridge';
import { startBareProxy, startExpressProxy } from './roles/proxies';
import { startUpstream } from './roles/upstream';

function required(v: string | undefined, name: string): string {
  if (!v) throw new Error(`${name} is required`);
  return v;
}

function start(role: Role, a: RoleArgs): Promise<Started> {
  switch (role) {
    case 'upstream':
      return startUpstream();
    case 'bare-proxy':
      return startBareProxy(required(a.upstreamUrl, 'upstreamUrl'));
    case 'express-proxy':
      return startExpressProxy(required(a.upstreamUrl, 'upstreamUrl'));
    case 'couponbridge':
      return startCouponbridge(required(a.upstreamUrl, 'upstreamUrl'), required(a.store, 'store'));
    default:
      throw new Error(`unknown role ${String(role)}`);
  }
}

function reply(m: FromChild): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
}

async function main(): Promise<void> {
  const [role, args = '{}'] = process.argv.slice(2);
  let started: Started;
  try {
    started = await start(role as Role, JSON.parse(args) as RoleArgs);
  } catch (e) {
    await reply({ type: 'failed', error: (e as Error).stack ?? String(e) });
    process.exit(1);
  }
  let exiting: Promise<void> | undefined;
  const exit = (): Promise<void> =>
    (exiting ??= started.close().then(() => process.exit(0)));
  process.on('message', (m: ToChild) => {
    if (m.type === 'stats') void reply({ type: 'stats', ...ownStats() });
    else if (m.type === 'stop') void exit();
  });
  process.on('disconnect', () => void exit());
  await reply({ type: 'ready', url: started.url, routes: started.routes });
}

void main();
