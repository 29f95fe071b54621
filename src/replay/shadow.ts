/**
 * Shadow replay of a mapping edit: re-translates journaled exchanges with a candidate route
 * table and compares, field by field, the outbound request it would send (method, path, every
 * field except the signature and the per-send random transport fields) and the answer it would
 * give (every field except the envelope's per-answer random ones, such as P云's `seqno`) (mapped from the recorded upstream answer) with what was actually sent and answered.
 *
 * It calls nothing and changes nothing: the inbound message, the ledger record, stock view and
 * flow context come from the journal (so a coupon whose state moved on is replayed against its
 * state at the time), the clock is the exchange's own, and the upstream answer is the recorded
 * one. Candidate text goes through the journal's redaction before the comparison, so both sides
 * are compared in the same (masked) form.
 *
 * What is not replayed, and why (counted as skipped with the reason):
 * - exchanges journaled before the journal kept the replay context (no `replay` in the record);
 * - exchanges that stopped before mapping (bad signature, schema, unknown partner…): the mapping
 *   never ran, so an edit cannot change them;
 * - `enqueue` branches and fan-out flows compare the branch and the answer only: their outbound
 *   messages are outbox rows, not part of the exchange.
 */
import { CbError, toCbError, type CbCode } from '../errors';
import type { Answer, Dialect, RawRequest } from '../dialects/types';
import { parseForm } from '../dialects';
import { journalText, outboundLayout, type JournalData } from '../ledger/journal';
import { layoutOfType } from '../log';
import { newExchange, type Exchange, type UpstreamOutcome } from '../pipeline/context';
import { identify, parse } from '../pipeline/stages/inbound';
import { buildFields, selectBranch } from '../pipeline/stages/map';
import { sign, validateOutbound } from '../pipeline/stages/outbound';
import { errorAnswer, mapBack, successAnswer } from '../pipeline/stages/answer';
import type { Route, RouteTable, Runtime } from '../runtime';
import type { CouponRecord, ExchangeRecord, Store } from '../store/types';
import { alreadyApplied } from '../ledger/coupons';

export interface Difference {
  exchange: string;
  route: string;
  /** e.g. `outbound.coupon_value`, `answer.status`, `branch`. */
  field: string;
  recorded: string;
  candidate: string;
}

export type ReplayOutcome =
  | { exchange: string; route: string; status: 'same' }
  | { exchange: string; route: string; status: 'different'; differences: Difference[] }
  | { exchange: string; route: string; status: 'skipped'; reason: string };

export interface RouteSummary {
  route: string;
  replayed: number;
  differing: number;
  skipped: number;
}

export const ABSENT = '(absent)';

/** Flattens an object to dotted leaf paths with display values (arrays by index). */
export function flatten(
  v: unknown,
  prefix: string,
  out: Map<string, string> = new Map(),
): Map<string, string> {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    if (entries.length === 0) out.set(prefix, Array.isArray(v) ? '[]' : '{}');
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (v !== undefined) {
    out.set(prefix, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

/** A wire body as fields: JSON object, else form; an unreadable body is one opaque value. */
function bodyFields(body: string | undefined): Record<string, unknown> {
  if (!body) return {};
  const t = body.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as Record<string, unknown>;
    } catch {
      return { '(body)': body };
    }
  }
  try {
    return parseForm(body);
  } catch {
    return { '(body)': body };
  }
}

interface WireView {
  method: string;
  path: string;
  fields: Map<string, string>;
}

function wireView(method: string, url: string | undefined, body: string | undefined): WireView {
  const u = new URL(url ?? '/', 'http://couponbridge.invalid');
  const fields = flatten(bodyFields(body), '');
  for (const [k, v] of u.searchParams) fields.set(k, v);
  return { method, path: u.pathname, fields };
}

/**
 * The outbound fields left out of the comparison: the signature, and whatever the target
 * dialect draws afresh for every send (nonce, a generated seq_id) — found by building the same
 * message twice and keeping what differs, so no dialect's field names are hard-coded here.
 */
function volatileFields(x: Exchange, fields: Record<string, unknown>): Set<string> {
  const t = x.route.target!;
  const creds = x.rt.upstreams.get(t.upstream)!.creds;
  const a = t.dialect.buildRequest(t.endpoint, fields, creds, x.now);
  const b = t.dialect.buildRequest(t.endpoint, fields, creds, x.now);
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a.message)) {
    if (v === a.signature.sign || JSON.stringify(v) !== JSON.stringify(b.message[k])) out.add(k);
  }
  return out;
}

/** Answer envelope fields drawn afresh for every answer (P云's `seqno`), found the same way. */
function volatileAnswerFields(d: Dialect): Set<string> {
  const out = new Set<string>();
  const pairs: Array<[Answer, Answer]> = [
    [d.envelope.success(undefined), d.envelope.success(undefined)],
    [
      d.envelope.error({ code: d.codes.CB_MAPPING_FAILED, message: 'm' }),
      d.envelope.error({ code: d.codes.CB_MAPPING_FAILED, message: 'm' }),
    ],
  ];
  for (const [a, b] of pairs) {
    const fa = flatten(bodyFields(a.body), '');
    const fb = flatten(bodyFields(b.body), '');
    for (const [k, v] of fa) if (fb.get(k) !== v) out.add(k);
  }
  return out;
}

function recordedOutcome(x: Exchange, up: NonNullable<JournalData['upstream']>): UpstreamOutcome {
  const answer = { status: up.status ?? 0, headers: {}, body: up.body ?? '', elapsedMs: up.ms ?? 0 };
  switch (up.kind) {
    case 'timeout':
    case 'unreachable':
      return { kind: up.kind, detail: up.detail ?? '' };
    case 'http_error':
      return { kind: 'http_error', answer };
    case 'unreadable':
      return { kind: 'unreadable', answer, reason: up.reason ?? 'answer unreadable' };
    default: {
      const body = JSON.parse(answer.body) as unknown;
      return { kind: 'answer', answer, body, code: x.route.target!.dialect.envelope.codeOf(body) };
    }
  }
}

/**
 * The generic flow's ledger rule on the recorded ledger record: a branch whose `ledger_state` the
 * coupon already had is answered without a call (and an illegal move is refused), as it was live.
 */
function appliedAlready(x: Exchange): boolean {
  const l = x.map!.ledger;
  if (!l || typeof l.state !== 'string') return false;
  const coupon = { state: l.state, couponId: l.coupon_id } as CouponRecord;
  return alreadyApplied(x, coupon);
}

interface Candidate {
  branch?: string;
  outbound?: WireView;
  volatile: Set<string>;
  answer: Answer;
}

/** Runs the candidate mapping over the journaled inputs; any failure becomes its error answer. */
function translateCandidate(x: Exchange, data: JournalData): Candidate {
  let volatile = new Set<string>();
  try {
    if (x.route.mapping.branches.length === 0) {
      // An answer-only route (T3 stock query): its mapping is the vars and the answer fields.
      x.route.mapping.vars(x.map!);
      x.answer = successAnswer(x);
      return { volatile, answer: x.answer };
    }
    selectBranch(x);
    const branch = x.branch!;
    if (branch.action === 'reject') {
      const code = (branch.error?.cb_code ?? 'CB_MAPPING_FAILED') as CbCode;
      throw new CbError(code, branch.error?.message ?? `branch ${branch.name} refuses this message`);
    }
    if (branch.action === 'call' && x.route.doc.flow === 'translate' && appliedAlready(x)) {
      x.answer = successAnswer(x);
    } else if (branch.action === 'call') {
      const fields = buildFields(x);
      sign(x, fields);
      validateOutbound(x);
      volatile = volatileFields(x, fields);
      if (data.upstream) {
        x.upstream = recordedOutcome(x, data.upstream);
        mapBack(x);
      } else {
        // Recorded without a call (the ledger said it was already applied): the answer was a success.
        x.answer = successAnswer(x);
      }
    } else {
      x.answer = successAnswer(x);
    }
  } catch (e) {
    x.answer = errorAnswer(x.route.dialect, toCbError(e));
  }
  const o = x.outbound;
  return {
    branch: x.branch?.name,
    // redacted as the journal redacts what was sent, so that the two compare
    outbound: o
      ? wireView(
          o.method,
          journalText(x.rt, o.url, 'url'),
          journalText(x.rt, o.body ?? '', outboundLayout(o.headers)),
        )
      : undefined,
    volatile,
    answer: x.answer!,
  };
}

function compareMaps(
  prefix: string,
  recorded: Map<string, string>,
  candidate: Map<string, string>,
  skip: Set<string>,
  push: (field: string, r: string, c: string) => void,
): void {
  const keys = [...new Set([...recorded.keys(), ...candidate.keys()])].sort();
  for (const k of keys) {
    if (skip.has(k.split('.')[0])) continue;
    const r = recorded.get(k) ?? ABSENT;
    const c = candidate.get(k) ?? ABSENT;
    if (r !== c) push(`${prefix}.${k}`, r, c);
  }
}

function rawOf(inbound: NonNullable<JournalData['inbound']>, route: Route): RawRequest {
  const guess = route.dialect.name === 'tencent' ? 'application/json' : 'application/x-www-form-urlencoded';
  return {
    method: inbound.method,
    path: inbound.path,
    query: inbound.query ?? '',
    headers: { 'content-type': inbound.contentType ?? guess },
    body: Buffer.from(inbound.body ?? ''),
  };
}

/**
 * Replays one journaled exchange with the candidate table. `rt` supplies the configuration
 * (partners, upstream credentials), schemas and redaction; its own table is not used.
 */
export function replayExchange(rt: Runtime, candidate: RouteTable, rec: ExchangeRecord): ReplayOutcome {
  const base = { exchange: rec.id, route: rec.route };
  const data = (rec.data ?? {}) as JournalData;
  const skip = (reason: string): ReplayOutcome => ({ ...base, status: 'skipped', reason });
  if (!data.inbound) return skip('no inbound message in the journal');
  if (!data.replay) {
    return skip(
      data.branch
        ? 'journaled without replay context'
        : `nothing mapped in the exchange itself (${rec.outcome})`,
    );
  }
  let saved: {
    ledger?: Record<string, unknown>;
    stock?: Record<string, unknown>;
    ctx?: Record<string, unknown>;
  };
  try {
    saved = JSON.parse(data.replay) as typeof saved;
  } catch {
    return skip('replay context was cut (over 16 KiB)');
  }
  const route = candidate.byId.get(rec.route);
  // The flow answered on its own (an unknown coupon, an exhausted quota…) before the mapping chose
  // a branch or, on an answer-only route, instead of the mapped answer: an edit cannot change that.
  const answeredByFlow =
    !data.branch && !['success', 'recorded', 'replayed'].includes(rec.outcome) && rec.outcome !== 'unknown';
  if (answeredByFlow) return skip(`answered by the flow before mapping (${rec.outcome})`);
  if (!route) {
    return {
      ...base,
      status: 'different',
      differences: [{ ...base, field: 'route', recorded: rec.route, candidate: '(no such route)' }],
    };
  }
  const crt: Runtime = { ...rt, table: candidate };
  const x = newExchange(crt, route, rawOf(data.inbound, route), rec.at);
  x.id = rec.id;
  try {
    parse(x);
    identify(x);
  } catch (e) {
    return skip(`inbound no longer accepted: ${(e as Error).message}`);
  }
  // Validation coerces form values to their schema types, as the live pipeline did; a masked
  // phone number may no longer match its pattern, which is why the verdict itself is ignored.
  rt.registry.validate(route.doc.inbound.schema, x.msg!.fields, { coerce: x.msg!.encoding !== 'json' });
  const stockId = typeof x.msg!.fields.stock_id === 'string' ? x.msg!.fields.stock_id : undefined;
  const catalogue = stockId ? candidate.stocks[stockId] : undefined;
  x.map = {
    in: x.msg!.fields,
    // The flow's stock view as recorded, with the candidate catalogue's entry laid over it.
    stock: saved.stock || catalogue ? { ...saved.stock, ...catalogue } : undefined,
    partner: { id: x.partner!.id, defaults: x.partner!.defaults },
    ledger: saved.ledger,
    ctx: { ...saved.ctx, now: rec.at },
  };
  const c = translateCandidate(x, data);

  const differences: Difference[] = [];
  const push = (field: string, recorded: string, cand: string) =>
    differences.push({ ...base, field, recorded, candidate: cand });
  if ((data.branch ?? ABSENT) !== (c.branch ?? ABSENT))
    push('branch', data.branch ?? ABSENT, c.branch ?? ABSENT);
  const ro = data.outbound
    ? wireView(data.outbound.method, data.outbound.url, data.outbound.body)
    : undefined;
  if (ro && c.outbound) {
    if (ro.method !== c.outbound.method) push('outbound.method', ro.method, c.outbound.method);
    if (ro.path !== c.outbound.path) push('outbound.path', ro.path, c.outbound.path);
    compareMaps('outbound', ro.fields, c.outbound.fields, c.volatile, push);
  } else if (ro || c.outbound) {
    const show = (w?: WireView) => (w ? `${w.method} ${w.path}` : '(no call)');
    push('outbound', show(ro), show(c.outbound));
  }
  const ra = data.answer;
  const ca = c.answer;
  if (ra) {
    if (ra.status !== ca.status) push('answer.status', String(ra.status), String(ca.status));
    compareMaps(
      'answer',
      flatten(bodyFields(ra.body), ''),
      flatten(bodyFields(journalText(rt, ca.body, layoutOfType(ca.contentType))), ''),
      volatileAnswerFields(route.dialect),
      push,
    );
  }
  return differences.length > 0 ? { ...base, status: 'different', differences } : { ...base, status: 'same' };
}

export function summarize(outcomes: ReplayOutcome[]): RouteSummary[] {
  const byRoute = new Map<string, RouteSummary>();
  for (const o of outcomes) {
    const s = byRoute.get(o.route) ?? { route: o.route, replayed: 0, differing: 0, skipped: 0 };
    if (o.status === 'skipped') s.skipped++;
    else s.replayed++;
    if (o.status === 'different') s.differing++;
    byRoute.set(o.route, s);
  }
  return [...byRoute.values()].sort((a, b) => a.route.localeCompare(b.route));
}

export function formatDifference(d: Difference): string {
  return `${d.exchange} ${d.route} ${d.field}: ${d.recorded} → ${d.candidate}`;
}

export interface ReplayFilter {
  since?: Date;
  until?: Date;
  route?: string;
  partner?: string;
  /** At most this many exchanges (newest first), default every one in the journal. */
  limit?: number;
}

/** Journaled exchanges matching the filter, oldest first (the journal is read newest first, in pages). */
export async function selectExchanges(store: Store, f: ReplayFilter): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  const limit = f.limit ?? Infinity;
  const page = 500;
  for (let offset = 0; out.length < limit; offset += page) {
    const list = await store.listExchanges({ limit: page, offset });
    for (const e of list) {
      // Outbox deliveries are journaled too; they are not inbound exchanges a mapping translates.
      if (e.route.startsWith('outbox/')) continue;
      if (f.until && e.at > f.until) continue;
      if (f.since && e.at < f.since) return out.reverse();
      if (f.route && e.route !== f.route) continue;
      if (f.partner && e.partner !== f.partner) continue;
      out.push(e);
      if (out.length >= limit) break;
    }
    if (list.length < page) break;
  }
  return out.reverse();
}

/** Replays every selected exchange; `progress` is told after each one. */
export async function shadowReplay(
  rt: Runtime,
  candidate: RouteTable,
  f: ReplayFilter,
  progress?: { start(total: number): void; tick(): void },
): Promise<ReplayOutcome[]> {
  const list = await selectExchanges(rt.store, f);
  progress?.start(list.length);
  const out: ReplayOutcome[] = [];
  for (const rec of list) {
    out.push(replayExchange(rt, candidate, rec));
    progress?.tick();
    // Inside a serving process (the console) a long replay must not hold up live exchanges.
    if (out.length % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  return out;
}
