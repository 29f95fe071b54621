/** What every role returns, and listening on a free loopback port. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Started {
  url: string;
  routes: string[];
  /** Work done so far by a role that is not measured by requests (the outbox drain). */
  work?: () => Work;
  /** Other processes of the one under test (cluster workers): the probe adds their CPU and RSS. */
  pids?: () => number[];
  close(): Promise<void>;
}

export interface Work {
  done: number;
  failed: number;
  failureSamples: string[];
}

export async function listenLoopback(server: Server): Promise<Started> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
