/**
 * A TCP relay for fault injection: couponbridge connects to the relay, the relay to the real
 * server (PostgreSQL). `cut()` breaks the path the way a network or a failover does:
 * - 'close': every open connection is closed and new ones are closed at once (a restarted server);
 * - 'blackhole': open connections stop carrying bytes and new ones are accepted but never answered
 *   (a partitioned network: only timeouts notice).
 * `restore()` forwards new connections again; connections caught in a blackhole stay dead (they
 * are reset), as after a real partition.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type CutMode = 'close' | 'blackhole';

export interface TcpRelay {
  /** host:port to give the client instead of the server's. */
  readonly host: string;
  readonly port: number;
  cut(mode: CutMode): void;
  restore(): void;
  /** Connections currently forwarded. */
  readonly forwarding: number;
  close(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  let mode: CutMode | undefined;
  const pairs = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();

  const reset = (s: Socket) => (s.destroyed ? undefined : s.destroy());

  const server: Server = createServer((inbound) => {
    inbound.on('error', () => undefined);
    if (mode === 'close') {
      reset(inbound);
      return;
    }
    if (mode === 'blackhole') {
      held.add(inbound);
      inbound.resume(); // read and drop
      inbound.once('close', () => held.delete(inbound));
      return;
    }
    const outbound = connect(target.port, target.host);
    outbound.on('error', () => undefined);
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const end = () => {
      pairs.delete(pair);
      reset(inbound);
      reset(outbound);
    };
    inbound.once('close', end);
    outbound.once('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    get forwarding() {
      return pairs.size;
    },
    cut(m) {
      mode = m;
      for (const pair of [...pairs]) {
        const [inbound, outbound] = pair;
        pairs.delete(pair);
        if (m === 'close') {
          reset(inbound);
          reset(outbound);
          continue;
        }
        // Bytes stop flowing both ways; the sockets stay open, so neither side learns of it.
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.removeAllListeners('close');
        outbound.removeAllListeners('close');
        held.add(inbound).add(outbound);
        inbound.resume();
        outbound.resume();
      }
    },
    restore() {
      mode = undefined;
      for (const s of held) reset(s);
      held.clear();
    },
    async close() {
      mode = 'close';
      for (const [a, b] of pairs) {
        reset(a);
        reset(b);
      }
      for (const s of held) reset(s);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
