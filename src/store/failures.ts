/**
 * Driver errors that mean "the database cannot serve now" (busy, locked, disk full, read-only,
 * connection lost, timeout, deadlock, serialization failure) become CB_STORE_UNAVAILABLE, which is
 * retryable and answered as 503 in the caller's dialect. Anything else (a constraint violation, a
 * bug) passes through unchanged.
 *
 * Of those, a lost or unreachable database (`connectionLost`) is what the store guard (guard.ts)
 * trips on: every later call then fails fast until the database answers again. A busy lock, a
 * full disk or a deadlock concerns one statement, so the next call is tried normally.
 */
import { CbError, isCbError } from '../errors';

const sqliteUnavailable = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;
/** SQLSTATE classes 08 (connection), 53 (resources), 57P (shutdown); 57014 statement timeout; 40001 serialization, 40P01 deadlock. */
const pgUnavailable = /^(08|53|57P)|^57014$|^40001$|^40P01$/;
/** SQLSTATE class 08 and 57P (the server going away), and socket errors: the database is unreachable. */
const pgConnectionLost = /^(08|57P)/;
const socketCode = /^E[A-Z]+$/;
const connectionLostMessage =
  /connection terminated|timeout exceeded when trying to connect|connection is not open|not queryable|query read timeout|pool after calling end/i;

export class StoreUnavailableError extends CbError {
  constructor(
    detail: string,
    /** The database is unreachable (not merely busy, full or read-only). */
    readonly connectionLost: boolean,
  ) {
    super('CB_STORE_UNAVAILABLE', detail);
  }
}

export function storeFailure(e: unknown): unknown {
  if (isCbError(e) || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    const lost = pgConnectionLost.test(code) || socketCode.test(code);
    if (lost || sqliteUnavailable.test(code) || pgUnavailable.test(code)) {
      return new StoreUnavailableError(e.message, lost);
    }
    return e;
  }
  return connectionLostMessage.test(e.message) ? new StoreUnavailableError(e.message, true) : e;
}

export function isConnectionLost(e: unknown): boolean {
  return e instanceof StoreUnavailableError && e.connectionLost;
}
