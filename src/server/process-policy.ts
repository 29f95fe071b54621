/**
 * The process-level policy of `couponbridge serve` (docs/operations.md):
 *
 * - Survived, logged: a failed exchange (answered in its dialect, never thrown this far), a store
 *   fault (the database unreachable, busy, full, read-only), a network fault (a socket reset, an
 *   upstream gone). If one of these escapes as an uncaught exception or an unhandled rejection —
 *   e.g. an 'error' event nobody listened to — it is logged at error level and the process goes on.
 * - Ends the process: a programming error (a TypeError, a failed assertion, anything not known to
 *   be operational). Its state can no longer be trusted, so it is logged with its stack, the server
 *   stops accepting, the exchanges in flight finish and are answered (the SIGTERM drain, within
 *   server.shutdown_grace_ms), and the process exits with code 70 (EX_SOFTWARE). A supervisor
 *   restarts it; the outbox and the idempotency records make the restart lossless.
 * - SIGTERM / SIGINT: the same drain, exit 0.
 *
 * The log line names the exchange when it is known — it was the only exchange in flight —
 * and otherwise lists the exchanges in flight. (AsyncLocalStorage would name it
 * exactly, but on Node 20 it roughly doubles the cost of every await on the hot path.)
 */
import { isCbError } from '../errors';
import { storeFailure } from '../store/failures';
import type { Running } from './start';

export const EXIT_PROGRAMMING_ERROR = 70;

const NETWORK_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;
const MAX_LISTED = 20;

/** Operational faults are survived; everything else is a programming error. */
export function isOperational(e: unknown): boolean {
  if (isCbError(e) || isCbError(storeFailure(e))) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODE.test(code);
}

function where(running: Running): Record<string, unknown> {
  const ids = [...running.state.inFlight];
  if (ids.length === 1) return { exchange: ids[0] };
  return { exchanges_in_flight: ids.slice(0, MAX_LISTED), in_flight: ids.length };
}

export function installProcessPolicy(running: Running): void {
  const exit = (code: number) => process.exit(code);
  const logger = running.rt.logger;
  let ending = false;

  const end = (code: number, why: Record<string, unknown>) => {
    if (ending) return;
    ending = true;
    logger.info('stopping', why);
    // A drain that hangs must not keep a broken process alive.
    const grace = running.rt.config.server.shutdown_grace_ms;
    setTimeout(() => exit(code), grace * 2 + 5000).unref();
    void running.stop().then(
      () => exit(code),
      () => exit(code),
    );
  };

  const fault = (kind: 'uncaughtException' | 'unhandledRejection') => (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    const fields = { kind, error: err.message, ...where(running) };
    if (isOperational(e)) {
      logger.error('operational fault survived', fields);
      return;
    }
    logger.error('programming error: draining and exiting', { ...fields, stack: err.stack });
    end(EXIT_PROGRAMMING_ERROR, { reason: 'programming error', exit_code: EXIT_PROGRAMMING_ERROR });
  };

  process.on('uncaughtException', fault('uncaughtException'));
  process.on('unhandledRejection', fault('unhandledRejection'));
  process.once('SIGTERM', () => end(0, { signal: 'SIGTERM' }));
  process.once('SIGINT', () => end(0, { signal: 'SIGINT' }));
}
