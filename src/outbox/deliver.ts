/**
 * One delivery attempt of one outbox row, top to bottom: reader (the kind@v notify mapping) →
 * payload check → destination → map the payload (`in.*`, `partner.defaults.*`, `stock.*` when the
 * payload names a catalogue stock, `ctx.dedup_key|destination|attempt|item_id|now`) → sign with the
 * destination's credentials in the kind's target dialect (fresh timestamp/nonce on every attempt;
 * a `seq_id` field is kept by the Tencent dialect) → validate the signed message → send → classify
 * the answer through the mapping's code table:
 *   `success: true` → delivered; `retry: true` → retried with backoff; any other entry, or an
 *   answer code the table does not list (no `default`) → terminal (dead at once).
 *   Transport failures (timeout, unreachable, http_error, unreadable) use their own entries and
 *   are retried when the table has none. Only the answer's code decides: a notification brings
 *   nothing back, so the rest of the answer is not schema-checked (an odd but successful answer
 *   must not be sent again).
 * Failures before the call: no reader, a payload the reader refuses, a destination of another
 * dialect, a mapping or outbound-schema error → terminal (the same bytes would fail again); a
 * destination not configured → retried (see destination.ts). Never throws for a row's fault.
 */
import type { UpstreamAnswer } from '../dialects/types';
import { isCbError } from '../errors';
import { MappingError, type MapContext } from '../mapping/compile';
import type { LoadedNotify } from '../mapping/load';
import { formatDiagnostics } from '../schema/registry';
import { stockView } from '../ledger/ownership';
import type { OutboxItem } from '../store/types';
import type { Runtime } from '../runtime';
import { UnreachableDestination, type Destination, type Destinations } from './destination';
import { payloadProblems, readerOf } from './kinds';

export type DeliveryOutcome =
  { result: 'delivered'; summary: string } | { result: 'retry' | 'terminal'; error: string };

/** What the attempt did, for the journal. */
export interface AttemptRecord {
  outcome: DeliveryOutcome;
  destination?: Destination;
  request?: { method: string; url: string; body?: string };
  answer?: { status: number; ms: number; body: string } | { transport: string; detail: string };
  /** The mapping's branch that built the message. */
  branch?: string;
  /** How the answer was read: a code, or a transport kind (the code-table key it looked up). */
  heard?: { kind: Heard['kind']; code?: string };
}

type Heard =
  | { kind: 'answer'; answer: UpstreamAnswer; code: string; message: string; hint: string }
  | { kind: 'http_error' | 'unreadable'; answer: UpstreamAnswer; detail: string }
  | { kind: 'timeout' | 'unreachable'; detail: string };

const terminal = (error: string): DeliveryOutcome => ({ result: 'terminal', error });

function mapContext(
  rt: Runtime,
  item: OutboxItem,
  payload: Record<string, unknown>,
  d: Destination,
  now: Date,
): MapContext {
  const stockId = typeof payload.stock_id === 'string' ? payload.stock_id : undefined;
  const stock = stockId ? rt.table.stocks[stockId] : undefined;
  return {
    in: payload,
    stock: stock ? stockView(stockId!, stock) : undefined,
    partner: { id: d.party, defaults: d.defaults },
    ctx: {
      now,
      dedup_key: item.dedupKey,
      destination: item.destination,
      attempt: item.attempts,
      item_id: item.id,
    },
  };
}

function read(answer: UpstreamAnswer, reader: LoadedNotify, d: Destination): Heard {
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return ok(answer)
      ? { kind: 'unreadable', answer, detail: 'answer is not JSON' }
      : { kind: 'http_error', answer, detail: answer.body.slice(0, 200) };
  }
  const code = d.dialect.envelope.codeOf(body);
  if (code === undefined) {
    return ok(answer)
      ? { kind: 'unreadable', answer, detail: `answer has no ${reader.doc.target.dialect} code` }
      : { kind: 'http_error', answer, detail: answer.body.slice(0, 200) };
  }
  // P云 explains a refusal in `hint` (e.g. "`merchant` Required!"): the code table's {upstream.hint} reads it
  const hint = (body as { hint?: unknown } | null)?.hint;
  return {
    kind: 'answer',
    answer,
    code,
    message: d.dialect.envelope.messageOf(body) ?? '',
    hint: typeof hint === 'string' ? hint : '',
  };
}

const ok = (a: UpstreamAnswer): boolean => a.status >= 200 && a.status < 300;

function classify(heard: Heard, reader: LoadedNotify): DeliveryOutcome {
  const m = reader.compiled;
  const entry = m.codeFor(heard.kind, heard.kind === 'answer' ? heard.code : undefined);
  const status = 'answer' in heard ? heard.answer.status : 0;
  const vars = {
    upstream:
      heard.kind === 'answer'
        ? { code: heard.code, message: heard.message, hint: heard.hint }
        : { code: '', message: heard.detail, hint: '' },
    http: { status },
  };
  const said =
    heard.kind === 'answer'
      ? `code ${heard.code}${heard.message ? ` ${heard.message}` : ''}`
      : `${heard.kind}: ${heard.detail}`;
  if (heard.kind === 'answer' && entry?.success) {
    return { result: 'delivered', summary: `HTTP ${status} ${said} (${heard.answer.elapsedMs} ms)` };
  }
  const error = `${entry?.render(vars) ?? said}${status ? ` (HTTP ${status})` : ''}`;
  if (heard.kind !== 'answer') return { result: entry?.retry === false ? 'terminal' : 'retry', error };
  if (!entry)
    return terminal(`${error} — code not in the ${reader.doc.notify.kind}@${reader.doc.notify.v} code table`);
  return { result: entry.retry ? 'retry' : 'terminal', error };
}

export async function deliver(
  rt: Runtime,
  item: OutboxItem,
  destinations: Destinations,
  opts: { now: Date; timeoutCapMs: number },
): Promise<AttemptRecord> {
  const reader = readerOf(rt.table.set, item.kind, item.v);
  if (typeof reader === 'string') return { outcome: terminal(reader) };
  const payload = structuredClone(item.payload) as Record<string, unknown>;
  const problems = payloadProblems(rt.registry, reader, payload);
  if (problems) return { outcome: terminal(problems) };
  let d: Destination;
  try {
    d = destinations.resolve(item.destination);
  } catch (e) {
    if (e instanceof UnreachableDestination) return { outcome: { result: 'retry', error: e.message } };
    throw e;
  }
  const target = reader.doc.target;
  if (d.dialect.name !== target.dialect) {
    return {
      outcome: terminal(
        `destination ${item.destination} speaks ${d.dialect.name}, ${item.kind}@${item.v} is ${target.dialect}`,
      ),
      destination: d,
    };
  }
  let built;
  let branchName: string;
  try {
    const c = mapContext(rt, item, payload, d, opts.now);
    reader.compiled.vars(c);
    const branch = reader.compiled.selectBranch(c);
    branchName = branch.name;
    const endpoint = {
      method: target.method ?? 'POST',
      path: target.path,
      encoding: target.encoding ?? 'form',
    } as const;
    built = d.dialect.buildRequest(endpoint, branch.build(c), d.creds, opts.now, rt.entropy);
    const diags = branch.schema
      ? rt.registry.validate(branch.schema, { ...built.message }, { coerce: true })
      : [];
    if (diags.length > 0)
      return {
        outcome: terminal(`the ${branch.schema} message is invalid: ${formatDiagnostics(diags)}`),
        destination: d,
      };
  } catch (e) {
    if (e instanceof MappingError)
      return { outcome: terminal(`mapping ${reader.file}: ${e.message}`), destination: d };
    throw e;
  }
  const request = { method: built.method, url: d.baseUrl.replace(/\/$/, '') + built.path, body: built.body };
  let heard: Heard;
  try {
    heard = read(
      await d.client.send(built, { timeoutMs: Math.min(d.timeoutMs, opts.timeoutCapMs) }),
      reader,
      d,
    );
  } catch (e) {
    if (!isCbError(e) || (e.code !== 'CB_UPSTREAM_TIMEOUT' && e.code !== 'CB_UPSTREAM_UNREACHABLE')) throw e;
    heard = { kind: e.code === 'CB_UPSTREAM_TIMEOUT' ? 'timeout' : 'unreachable', detail: e.detail };
  }
  return {
    outcome: classify(heard, reader),
    destination: d,
    request,
    branch: branchName,
    heard: { kind: heard.kind, code: heard.kind === 'answer' ? heard.code : undefined },
    answer:
      'answer' in heard
        ? { status: heard.answer.status, ms: heard.answer.elapsedMs, body: heard.answer.body }
        : { transport: heard.kind, detail: heard.detail },
  };
}
