/**
 * Shared code tables (mappings/codes/<name>.yaml): one row per upstream code, saying what it
 * means (success / retry / terminal) and how each caller dialect is answered. A mapping names the
 * table with `answer.codes_from` and may override rows with its own `answer.codes` entries; the
 * result is the plain code table the rest of couponbridge reads (`answer.codes`).
 */
import type { CodeEntryDoc, CodeRowDoc, CodeTableDoc } from './types';

/** Where an entry of a resolved code table was written. */
export type CodeOrigin = 'table' | 'local';

export interface ResolvedCodes {
  codes: Record<string, CodeEntryDoc>;
  origin: Record<string, CodeOrigin>;
}

/**
 * A row as one caller's entry. `caller` is the mapping's inbound dialect, undefined for a notify
 * mapping (it answers nobody: only the outcome and the message count).
 */
export function rowEntry(row: CodeRowDoc, caller: string | undefined): CodeEntryDoc {
  if (row.outcome === 'success') return { success: true };
  const c = caller === undefined ? undefined : row.callers?.[caller];
  const entry: CodeEntryDoc = {};
  if (c) entry.code = c.code;
  const message = c?.message ?? row.message;
  if (message !== undefined) entry.message = message;
  if (c?.status !== undefined) entry.status = c.status;
  entry.retry = c?.retry ?? row.outcome === 'retry';
  return entry;
}

/** The table's rows for `caller`, then the mapping's own entries replacing rows of the same key. */
export function resolveCodes(
  table: CodeTableDoc | undefined,
  caller: string | undefined,
  local: Record<string, CodeEntryDoc> | undefined,
): ResolvedCodes {
  const codes: Record<string, CodeEntryDoc> = {};
  const origin: Record<string, CodeOrigin> = {};
  for (const [key, row] of Object.entries(table?.codes ?? {})) {
    codes[key] = rowEntry(row, caller);
    origin[key] = 'table';
  }
  for (const [key, entry] of Object.entries(local ?? {})) {
    codes[key] = entry;
    origin[key] = 'local';
  }
  return { codes, origin };
}
