/**
 * The exchange journal: every exchange (inbound, outbound, upstream answer, final answer,
 * timing, outcome) stored after the answer is sent, with secrets and signatures removed and
 * personal data masked by the same redaction as the logs. Bounded by age and row count
 * (journal.max_age_days, journal.max_rows), pruned by the maintenance timer.
 */
import { redactText } from '../log';
import type { ExchangeRecord } from '../store/types';
import type { Exchange } from '../pipeline/context';
import type { Runtime } from '../runtime';

export function journalRecord(x: Exchange): ExchangeRecord {
  const rt = x.rt;
  const opts = { secrets: rt.secrets, maskPlates: rt.config.log.mask_plates };
  // Only free text can carry secrets, signatures or personal data: bodies, the query, notes. The
  // rest of the record is couponbridge's own (methods, paths, statuses, ids), so only text is
  // redacted — the same rules as redact(), without walking the whole record.
  const text = (b: Buffer | string | undefined): string | undefined => {
    if (b === undefined) return undefined;
    const s = typeof b === 'string' ? b : b.toString('utf8');
    return redactText(s.length > 16384 ? `${s.slice(0, 16384)}…(${s.length} bytes)` : s, opts);
  };
  const o = x.upstream;
  const data = {
    inbound: {
      method: x.raw.method,
      path: x.raw.path,
      query: x.raw.query ? text(x.raw.query) : undefined,
      body: text(x.raw.body),
    },
    partner: x.partner?.id,
    // which configured secret verified, by position (never the value): shows when a rotation is done
    verifiedWithSecret: x.secretIndex,
    branch: x.branch?.name,
    outbound: x.outbound
      ? { method: x.outbound.method, url: text(x.outbound.url), body: text(x.outbound.body) }
      : undefined,
    upstream:
      o === undefined
        ? undefined
        : 'answer' in o
          ? { kind: o.kind, status: o.answer.status, ms: o.answer.elapsedMs, body: text(o.answer.body) }
          : { kind: o.kind, detail: text(o.detail) },
    answer: x.answer ? { status: x.answer.status, body: text(x.answer.body) } : undefined,
    notes: x.notes.length > 0 ? x.notes.map((n) => text(n)) : undefined,
  };
  return {
    id: x.id,
    at: x.now,
    route: x.route.id,
    partner: x.partner?.id,
    businessKeys: [...new Set(x.businessKeys)],
    outcome: x.outcome ?? 'unknown',
    durationMs: Math.round((performance.now() - x.startedAt) * 10) / 10,
    data,
  };
}

/** Journals a record through the runtime's batched writer; a storage failure is logged, never thrown. */
export function writeJournal(rt: Runtime, record: ExchangeRecord): void {
  const log = (e: Error) =>
    rt.logger.error('journal write failed', { exchange: record.id, error: e.message });
  rt.journal.add(record).then((e) => e && log(e), log);
}

/** Stores the exchange without holding up the answer. */
export function recordExchange(rt: Runtime, x: Exchange): void {
  writeJournal(rt, journalRecord(x));
}
