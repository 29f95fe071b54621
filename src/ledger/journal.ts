/**
 * The exchange journal: every exchange (inbound, outbound, upstream answer, final answer,
 * timing, outcome) stored after the answer is sent, with secrets and signatures removed and
 * personal data masked by the same redaction as the logs. Bounded by age and row count
 * (journal.max_age_days, journal.max_rows), pruned by the maintenance timer.
 *
 * `replay` keeps what `couponbridge replay` needs to re-translate the exchange as it was: the
 * ledger record, stock view and flow context the mapping saw (redacted like the bodies), so a
 * coupon whose state moved on since is replayed against its state at the time.
 */
import { layoutOfType, redactBody, type TextLayout } from '../log';
import type { ExchangeRecord } from '../store/types';
import type { Exchange } from '../pipeline/context';
import type { MapContext } from '../mapping/compile';
import type { Runtime } from '../runtime';

/** The journal's shape of `data` (every field optional: older records lack the newer ones). */
export interface JournalData {
  inbound?: { method: string; path: string; query?: string; contentType?: string; body?: string };
  partner?: string;
  branch?: string;
  outbound?: { method: string; url?: string; body?: string };
  upstream?: { kind: string; status?: number; ms?: number; body?: string; detail?: string; reason?: string };
  answer?: { status: number; body?: string };
  notes?: Array<string | undefined>;
  /** JSON text of { ledger, stock, ctx } as the mapping saw them. */
  replay?: string;
  /** Which of the partner's `secrets` verified the request, by position (never the value). */
  verifiedWithSecret?: number;
}

/** Longest text journaled, in UTF-16 code units; the rest is named by its length. */
export const JOURNAL_TEXT_MAX = 16384;

/**
 * Journal text: secrets, signatures and personal data removed following the text's layout
 * (log.ts redactBody), then cut at 16 KiB — redacted before the cut, so that a cut cannot leave
 * the head of a signature or phone number that redaction would no longer recognise.
 */
export function journalText(rt: Runtime, b: Buffer | string, layout: TextLayout = 'text'): string {
  const s = typeof b === 'string' ? b : b.toString('utf8');
  return cut(redactBody(s, layout, { secrets: rt.secrets, maskPlates: rt.config.log.mask_plates }), s.length);
}

/** A redacted text cut at JOURNAL_TEXT_MAX, naming the length of the text before redaction. */
function cut(redacted: string, length: number): string {
  return redacted.length > JOURNAL_TEXT_MAX
    ? `${redacted.slice(0, JOURNAL_TEXT_MAX)}…(${length} bytes)`
    : redacted;
}

/** The layout of an inbound body: as the dialect parsed it, else as its Content-Type says. */
function inboundLayout(x: Exchange, contentType: string | undefined): TextLayout {
  const e = x.msg?.encoding;
  return e === 'json' || e === 'form' ? e : e === 'query' ? 'text' : layoutOfType(contentType);
}

/** A value's JSON text redacted (not cut), and the length of the text before redaction. */
interface Redacted {
  text: string;
  length: number;
}

function redactedJson(rt: Runtime, value: unknown): Redacted | undefined {
  const json = JSON.stringify(value);
  if (json === undefined) return undefined;
  const text = redactBody(json, 'json', { secrets: rt.secrets, maskPlates: rt.config.log.mask_plates });
  return { text, length: json.length };
}

/** Redacted JSON of frozen values (catalogue stock views), with the rules they were redacted by. */
const frozenJson = new WeakMap<object, { secrets: string[]; maskPlates: boolean; json?: Redacted }>();

function frozenRedactedJson(rt: Runtime, value: object): Redacted | undefined {
  const maskPlates = rt.config.log.mask_plates === true;
  const kept = frozenJson.get(value);
  if (kept?.secrets === rt.secrets && kept.maskPlates === maskPlates) return kept.json;
  const json = redactedJson(rt, value);
  frozenJson.set(value, { secrets: rt.secrets, maskPlates, json });
  return json;
}

/**
 * The journal text of JSON.stringify({ ledger, stock, ctx }) as the mapping saw them, built member
 * by member (each is a JSON value of its own, so redaction follows the members and the whole comes
 * out the same), with a catalogue stock's view redacted once, not once an exchange.
 */
function replayText(rt: Runtime, m: MapContext): string {
  let text = '';
  let length = 2;
  const add = (key: string, json: Redacted | undefined) => {
    if (json === undefined) return;
    const sep = text === '' ? '' : ',';
    text += `${sep}"${key}":${json.text}`;
    length += sep.length + key.length + 3 + json.length;
  };
  add('ledger', redactedJson(rt, m.ledger));
  add(
    'stock',
    m.stock && Object.isFrozen(m.stock) ? frozenRedactedJson(rt, m.stock) : redactedJson(rt, m.stock),
  );
  add('ctx', redactedJson(rt, m.ctx));
  return cut(`{${text}}`, length);
}

/** The layout of a request couponbridge sent, by the Content-Type it sent. */
export function outboundLayout(headers: Record<string, string>): TextLayout {
  return layoutOfType(headers['content-type'] ?? headers['Content-Type']);
}

export function journalRecord(x: Exchange): ExchangeRecord {
  const rt = x.rt;
  // Only free text can carry secrets, signatures or personal data: bodies, the query, notes. The
  // rest of the record is couponbridge's own (methods, paths, statuses, ids), so only text is
  // redacted — the same rules as redact(), following each text's layout (JSON, form, URL), without
  // walking the whole record. The bodies are the bytes received and sent, redacted in place.
  const text = (b: Buffer | string | undefined, layout?: TextLayout): string | undefined =>
    b === undefined ? undefined : journalText(rt, b, layout);
  const o = x.upstream;
  const ct = x.raw.headers['content-type'];
  const contentType = typeof ct === 'string' ? ct : undefined;
  const m = x.map;
  const data: JournalData = {
    inbound: {
      method: x.raw.method,
      path: x.raw.path,
      query: x.raw.query ? text(x.raw.query, 'form') : undefined,
      contentType,
      body: text(x.raw.body, inboundLayout(x, contentType)),
    },
    partner: x.partner?.id,
    // which configured secret verified, by position (never the value): shows when a rotation is done
    verifiedWithSecret: x.secretIndex,
    branch: x.branch?.name,
    outbound: x.outbound
      ? {
          method: x.outbound.method,
          url: text(x.outbound.url, 'url'),
          body: text(x.outbound.body, outboundLayout(x.outbound.headers)),
        }
      : undefined,
    upstream:
      o === undefined
        ? undefined
        : 'answer' in o
          ? {
              kind: o.kind,
              status: o.answer.status,
              ms: o.answer.elapsedMs,
              // an answer was read as JSON; any other body is free text
              body: text(o.answer.body, o.kind === 'answer' ? 'json' : 'text'),
              reason: o.kind === 'unreadable' ? o.reason : undefined,
            }
          : { kind: o.kind, detail: text(o.detail) },
    answer: x.answer
      ? { status: x.answer.status, body: text(x.answer.body, layoutOfType(x.answer.contentType)) }
      : undefined,
    notes: x.notes.length > 0 ? x.notes.map((n) => text(n)) : undefined,
    replay: m ? replayText(rt, m) : undefined,
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
    ...(x.anomalies && { anomalies: x.anomalies.map((a) => ({ ...a, detail: text(a.detail) ?? '' })) }),
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
