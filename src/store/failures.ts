/**
 * Driver errors that mean "the database cannot serve now" (busy, locked, disk full, connection lost,
 * deadlock, serialization failure) become CB_STORE_UNAVAILABLE, which is retryable and answered as
 * 503 in the caller's dialect. Anything else (a constraint violation, a bug) passes through unchanged.
 */
import { CbError, isCbError } from '../errors';

const sqliteUnavailable = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;
/** SQLSTATE classes 08 (connection), 53 (resources), 57P (shutdown); 40001 serialization, 40P01 deadlock. */
const pgUnavailable = /^(08|53|57P)|^40001$|^40P01$/;
const socketCode = /^E[A-Z]+$/;
const connectionLost =
  /connection terminated|timeout exceeded when trying to connect|connection is not open|pool after calling end/i;

export function storeFailure(e: unknown): unknown {
  if (isCbError(e) || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  const unavailable =
    typeof code === 'string'
      ? sqliteUnavailable.test(code) || pgUnavailable.test(code) || socketCode.test(code)
      : connectionLost.test(e.message);
  return unavailable ? new CbError('CB_STORE_UNAVAILABLE', e.message) : e;
}
