/**
 * Runs one case file: the case itself and each of its variants, each on a fresh offline runtime
 * (harness.ts) with the case's clock, partner and seeded state, and turns what happened into the
 * shape of an `expect` block — the outbound requests (every header and field), the answer or the
 * delivery outcome, the ledger and the outbox after — so that comparing and `--update` read and
 * write one shape. Also reports which branches and code rows the run exercised (coverage).
 */
import { dialectNames, parseForm } from '../dialects';
import type { RouteTable } from '../runtime';
import type { SchemaRegistry } from '../schema/registry';
import {
  EXPECT_ORDER,
  type CaseDoc,
  type CaseFile,
  type ExpectDoc,
  type RequestDoc,
  type TestsConfig,
  type UpstreamDoc,
} from './cases';
import { openOfflineRuntime, type OfflineRuntime, type SentRequest, type UpstreamReply } from './harness';

/** One run of a case: the case itself (path []) or a variant (path ['variants', i]). */
export interface Run {
  label: string;
  /** Where its `expect` lives in the case document. */
  path: Array<string | number>;
  upstream?: UpstreamDoc;
  expect?: ExpectDoc;
}

export interface RunResult {
  run: Run;
  observed: ExpectDoc;
  /** Content types of the observed requests, by position (form and query fields are all strings). */
  encodings: Array<'json' | 'text'>;
  branches: string[];
  codeRow?: string;
}

export interface RunContext {
  mappingsDir: string;
  table: RouteTable;
  registry: SchemaRegistry;
  config?: TestsConfig;
}

export function runsOf(c: CaseFile): Run[] {
  const v = c.value;
  const runs: Run[] = [{ label: c.file, path: [], upstream: v.upstream, expect: v.expect }];
  (v.variants ?? []).forEach((variant, i) =>
    runs.push({
      label: `${c.file} variants[${i}]${variant.description ? ` (${variant.description})` : ''}`,
      path: ['variants', i],
      upstream: variant.upstream,
      expect: variant.expect,
    }),
  );
  return runs;
}

function reply(u: UpstreamDoc): UpstreamReply {
  if (u.fault) return { fault: u.fault };
  return { status: u.status, headers: u.headers, body: u.answer };
}

function requestDoc(s: SentRequest): { doc: RequestDoc; encoding: 'json' | 'text' } {
  const [url, query = ''] = s.url.split('?');
  const headers = Object.fromEntries(
    Object.entries(s.headers)
      .map(([k, v]) => [k.toLowerCase(), v] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const json = /json/i.test(headers['content-type'] ?? '');
  let fields: Record<string, unknown>;
  if (s.method === 'GET' || s.body === undefined) fields = parseForm(query);
  else if (json) fields = JSON.parse(s.body) as Record<string, unknown>;
  else fields = parseForm(s.body);
  return { doc: { method: s.method, url: url!, headers, fields }, encoding: json ? 'json' : 'text' };
}

function answerBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every coupon in the ledger by its most telling name, sorted (the store is the case's alone). */
async function ledgerAfter(h: OfflineRuntime): Promise<ExpectDoc['ledger']> {
  const coupons = await h.rt.store.listCoupons({ limit: 1000 });
  const list = coupons
    .map((c) => ({ coupon: c.couponId ?? c.couponCode ?? c.grantSerial ?? c.id, state: c.state }))
    .sort((a, b) => (a.coupon < b.coupon ? -1 : a.coupon > b.coupon ? 1 : 0));
  return list.length > 0 ? list : undefined;
}

async function outboxAfter(h: OfflineRuntime): Promise<ExpectDoc['outbox']> {
  const items = await h.rt.store.listOutbox({ limit: 1000 });
  const list = items
    .map((i) => ({
      kind: i.kind,
      v: i.v,
      destination: i.destination,
      dedup_key: i.dedupKey,
      payload: i.payload,
    }))
    .sort((a, b) => (a.dedup_key < b.dedup_key ? -1 : a.dedup_key > b.dedup_key ? 1 : 0));
  return list.length > 0 ? list : undefined;
}

async function runOne(v: CaseDoc, routeId: string, run: Run, ctx: RunContext): Promise<RunResult> {
  const h = await openOfflineRuntime({
    mappingsDir: ctx.mappingsDir,
    now: new Date(v.at),
    config: ctx.config,
    registry: ctx.registry,
    table: ctx.table,
  });
  try {
    if (v.state) await h.seedState(v.state);
    if (run.upstream) {
      const answer = reply(run.upstream);
      for (const dialect of dialectNames) h.onUpstream(dialect, () => answer);
    }
    const observed: ExpectDoc = {};
    let sent: SentRequest[];
    let branches: string[];
    let codeRow: string | undefined;
    if (v.notify) {
      const r = await h.runNotify(routeId, v.notify.payload, v.notify.dedup_key, v.notify.destination);
      ({ outbound: sent, branches, codeRow } = r);
      observed.delivery = r.outcome;
      if (r.reason !== undefined) observed.reason = r.reason;
    } else {
      const r = await h.runInbound(routeId, h.signInbound(routeId, v.inbound!, v.partner));
      ({ outbound: sent, branches, codeRow } = r);
      observed.answer = { status: r.answer.status, body: answerBody(r.answer.body) };
    }
    const requests = sent.map(requestDoc);
    if (requests.length === 1) observed.outbound = requests[0]!.doc;
    else if (requests.length > 1) observed.outbound = requests.map((r) => r.doc);
    const ledger = await ledgerAfter(h);
    if (ledger) observed.ledger = ledger;
    const outbox = await outboxAfter(h);
    if (outbox) observed.outbox = outbox;
    const ordered = Object.fromEntries(
      EXPECT_ORDER.filter((k) => observed[k] !== undefined).map((k) => [k, observed[k]]),
    ) as ExpectDoc;
    return { run, observed: ordered, encodings: requests.map((r) => r.encoding), branches, codeRow };
  } finally {
    await h.close();
  }
}

export async function runCase(c: CaseFile, ctx: RunContext): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (const run of runsOf(c)) out.push(await runOne(c.value, c.routeId, run, ctx));
  return out;
}
