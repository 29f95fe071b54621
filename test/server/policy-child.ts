/**
 * The child process of process-policy.test.ts: couponbridge started exactly as `couponbridge
 * serve` starts it (startServer + installProcessPolicy), plus fault injection on request from the
 * parent over IPC — each fault escapes the way a real one does (an unhandled rejection, an 'error'
 * event nobody listens to, a throw from a timer).
 */
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../src/config/load';
import { startServer } from '../../src/server/start';
import { installProcessPolicy } from '../../src/server/process-policy';
import { StoreUnavailableError } from '../../src/store/failures';

const faults: Record<string, () => void> = {
  // A store call nobody awaited, failing while the database is away.
  'store-rejection': () =>
    void Promise.reject(new StoreUnavailableError('injected: the database went away', true)),
  // What pg does on a lost connection without an 'error' listener.
  'pg-error-event': () =>
    setTimeout(() => new EventEmitter().emit('error', new Error('Connection terminated unexpectedly'))),
  'socket-reset': () =>
    setTimeout(() => {
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    }),
  'programming-error': () =>
    setTimeout(() => {
      const broken = JSON.parse('null') as { field: string };
      return broken.field.length;
    }),
};

void (async () => {
  const running = await startServer(loadConfig(process.argv[2]));
  installProcessPolicy(running);
  process.on('message', (m: string) => faults[m]());
  process.send!({ url: running.url });
})();
