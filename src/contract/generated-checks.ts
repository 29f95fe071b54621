/**
 * Schema-generated contract checks (`couponbridge test --generate N [--seed S]`): for every inbound
 * route, N messages generated from its request schema (src/contract/generate.ts: valid, boundary
 * and near-miss), signed by the route's test partner and run offline through the pipeline
 * (src/contract/harness.ts) against fake upstreams that answer success. The contract:
 *
 *   a valid or boundary message  reaches the upstream with an outbound message valid against the
 *                                branch's `schema` (a notification: delivered, valid against its
 *                                notify mapping's branch schema), or is answered success without a
 *                                call (a `record` branch, a stock query), or is refused with a code
 *                                the mapping lists in `inbound.refusals`; its answer is valid
 *                                against the route's `answer_schema`;
 *   a near-miss                  is refused as CB_SCHEMA_INVALID in the dialect's error envelope
 *                                (that code's HTTP status and dialect code) and calls nothing;
 *   nothing                      throws or answers an internal error.
 *
 * Half the messages (fast-check decides which) first seed the offline runtime with what the flow
 * needs to go through — the stock a claim, query or sync names (a catalogue entry allowed to the
 * test partner, running, with quota), the coupons a status sync, deactivate, Dianping consume or
 * P云 push names (owned by the test partner, available) — and half do not, so both the upstream
 * path and the refusals are exercised. Messages of one route share one runtime, so a later message
 * may meet what an earlier one left (a reused request_id, an order already consumed): those answers
 * are the route's too, and must be listed as refusals like any other. A run is reproducible from
 * its seed: the same seed, N and route give the same messages in the same order on a fresh
 * runtime. On a failure fast-check shrinks the message to a small counterexample, printed with
 * the reason, the seed and its path.
 */
import fc from 'fast-check';
import { errorCatalog, type CbCode } from '../errors';
import type { Route } from '../runtime';
import type { StockEntry } from '../mapping/types';
import type { Answer } from '../dialects/types';
import { parseForm } from '../dialects';
import { couponIdFor } from '../mapping/converters';
import { formatDiagnostics, loadSchemaRegistry, type SchemaRegistry } from '../schema/registry';
import type { OutboxItem } from '../store/types';
import { messageArbitraries, type GeneratedMessage } from './generate';
import {
  openOfflineRuntime,
  type OfflineRuntime,
  type SeedCoupon,
  type SentRequest,
  type UpstreamReply,
} from './harness';
import { defaultTestPartners, type TestPartner } from './test-partners';

export interface GeneratedChecksOptions {
  mappingsDir: string;
  /** Messages per route. */
  runs: number;
  /** fast-check seed; absent: one is drawn and printed. */
  seed?: number;
  /** Only these route ids. */
  routes?: string[];
  /** The schemas messages are generated from (the contract; default: the shipped schemas). */
  contract?: SchemaRegistry;
  /** The schemas the offline runtime validates with (default: the contract's). */
  runtimeRegistry?: SchemaRegistry;
  /** The partners signing the messages (default: the harness's, with a default park). */
  partners?: TestPartner[];
}

export interface RouteFailure {
  kind: GeneratedMessage['kind'];
  /** The shrunk counterexample. */
  message: GeneratedMessage;
  seeded: boolean;
  reason: string;
  /** fast-check's path of the counterexample (with the seed, `fc.check(…, { seed, path })`). */
  path: string;
  /** The run (1-based) that failed first, before shrinking. */
  run: number;
  shrinks: number;
}

export interface RouteReport {
  route: string;
  generated: { valid: number; boundary: number; nearMiss: number; seeded: number };
  /** Valid messages that reached a fake upstream with outbound messages valid against their schema. */
  reachedUpstream: number;
  /** Valid messages answered success without an upstream call (record branches, queries). */
  answered: number;
  /** Valid messages answered with the stored answer of an earlier one (same business key). */
  repeats: number;
  /** Valid messages refused with a code of `inbound.refusals`: catalog code → count. */
  refusals: Record<string, number>;
  nearMissesRefused: number;
  failure?: RouteFailure;
}

export interface GeneratedChecksResult {
  seed: number;
  runs: number;
  routes: RouteReport[];
}

type Verdict =
  | { ok: true; outcome: 'upstream' | 'answered' | 'near-miss' | 'repeat' }
  | { ok: true; outcome: 'refused'; code: string }
  | { ok: false; reason: string };

/**
 * The harness's test partners, each with the park a code unknown to the ledger is redeemed under
 * (partner.defaults.park_uuid, as a deployment configures it), so unseeded messages reach P云 too.
 */
const generatedPartners: TestPartner[] = defaultTestPartners.map((p) => ({
  ...p,
  defaults: { park_uuid: 'contract-default-park', ...p.defaults },
}));

/** The offline runtime's fixed clock (the seeded stocks' validity windows contain it). */
const NOW = new Date('2026-06-01T02:00:00.000Z');

const SCHEMA_INVALID: CbCode = 'CB_SCHEMA_INVALID';

/** Shrink steps of one failing message (fc.limitShrink). */
const MAX_SHRINKS = 200;

/** Success answers of the fake upstreams; P云 grants get a fresh grant serial each. */
function successReplies(off: OfflineRuntime): void {
  let n = 0;
  const seqno = () => (++n).toString(16).padStart(16, '0');
  off.onUpstream('pyun', () => {
    const s = seqno();
    return { body: { code: '1001', message: '操作成功', seqno: s, payload: { grant_serial: `GEN${s}` } } };
  });
  off.onUpstream('tencent', (): UpstreamReply => ({ body: { code: 0, message: 'successful' } }));
  off.onUpstream('dianping', (): UpstreamReply => ({ body: { status: 'success' } }));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The codes a Dianping couponCode names (one code, or a JSON list). */
function codesOf(v: unknown): string[] {
  const s = str(v);
  if (!s) return [];
  if (/^\s*\[/.test(s)) {
    try {
      const list = JSON.parse(s) as unknown;
      return Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string' && c !== '') : [];
    } catch {
      return [];
    }
  }
  return [s];
}

function jsonList(v: unknown): Array<Record<string, unknown>> {
  try {
    const list = JSON.parse(String(v)) as unknown;
    return Array.isArray(list)
      ? list.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      : [];
  } catch {
    return [];
  }
}

/**
 * What a message needs in the runtime to go through, by the route's flow: catalogue stocks and
 * ledger coupons named by the message, owned by `partner`.
 */
function seedOf(
  route: Route,
  f: Record<string, unknown>,
  partner: string,
): { stocks: string[]; coupons: SeedCoupon[] } {
  const base = { partner, parkUuid: 'contract-park', faceValue: 500, stockId: 'contract-stock' };
  const coupon = (c: Partial<SeedCoupon> & { id: string }): SeedCoupon => ({
    ...base,
    state: 'available',
    ...c,
  });
  const stock = str(f.stock_id);
  switch (route.doc.flow) {
    case 'claim':
    case 'stock-query':
    case 'stock-sync':
      return { stocks: stock ? [stock] : [], coupons: [] };
    case 'deactivate': {
      const listed = Array.isArray(f.coupons) ? (f.coupons as Array<Record<string, unknown>>) : [f];
      const pairs = listed.flatMap((c) =>
        str(c.stock_id) && str(c.coupon_id) ? [[String(c.stock_id), String(c.coupon_id)]] : [],
      );
      return {
        stocks: pairs.map(([s]) => s),
        coupons: pairs.map(([s, c]) =>
          coupon({
            id: `tencent:${c}`,
            couponId: c,
            stockId: s,
            userCode: str(f.user_code),
            grantSerial: `G-${c}`,
          }),
        ),
      };
    }
    case 'payment-push':
      return {
        stocks: [],
        coupons: jsonList(f.mcoupons).flatMap((m, i) => {
          const serial = str(m.grant_serial);
          if (!serial) return [];
          // alternately a Tencent and a Dianping partner's coupon: both notification branches
          const dialect = i % 2 === 0 ? 'tencent' : 'dianping';
          return [
            coupon({
              id: `push:${serial}`,
              grantSerial: serial,
              // a Dianping coupon always has its code in the ledger
              couponCode: dialect === 'dianping' ? (str(m.coupon_code) ?? serial) : undefined,
              couponId: dialect === 'tencent' ? couponIdFor(serial) : undefined,
              partner: dialect === 'tencent' ? 'tencent-sp' : 'dianping-pos',
              userCode: 'contract-user',
            }),
          ];
        }),
      };
    case 'dianping-consume':
    case 'dianping-core':
    case 'dianping-order':
      return {
        stocks: [],
        coupons: codesOf(f.couponCode).map((code) =>
          coupon({ id: `dianping:${code}`, couponCode: code, grantSerial: `G-${code}` }),
        ),
      };
    case 'dianping-extend':
      return {
        stocks: [],
        coupons: codesOf(f.couponCode).map((code) =>
          coupon({
            id: `dianping:${code}`,
            couponCode: code,
            state: 'used',
            attrs: { dianping: { core: true } },
          }),
        ),
      };
    default:
      if (route.doc.ledger && str(f.coupon_id)) {
        const c = String(f.coupon_id);
        return {
          stocks: stock ? [stock] : [],
          coupons: [
            coupon({
              id: `tencent:${c}`,
              couponId: c,
              stockId: stock ?? 'contract-stock',
              userCode: str(f.user_code),
              grantSerial: `G-${c}`,
            }),
          ],
        };
      }
      return { stocks: [], coupons: [] };
  }
}

/** A catalogue entry for `stockId` allowed to `partner`: the catalogue's first stock as template. */
function catalogueEntry(template: StockEntry | undefined, partner: string): StockEntry {
  return {
    park_uuid: 'contract-park',
    api_store_code: 'contract-store',
    api_type: 'contract',
    coupon_type: 1,
    face_value_fen: 500,
    ...template,
    partners: [partner],
    max_coupons: 1_000_000,
    max_coupons_per_user: 1_000_000,
    available_begin_time: '2020-01-01T00:00:00.000+08:00',
    available_end_time: '2099-12-31T23:59:59.999+08:00',
    stock_status: 3,
  };
}

/** The fields of a request a fake upstream received. */
function sentFields(req: SentRequest): { fields: Record<string, unknown>; form: boolean } {
  const body = typeof req.body === 'string' ? req.body : '';
  const json = /json/i.test(String(req.headers?.['content-type'] ?? '')) || body.startsWith('{');
  if (json) return { fields: JSON.parse(body) as Record<string, unknown>, form: false };
  const query = req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : '';
  return { fields: parseForm(body !== '' ? body : query), form: true };
}

function outboundProblem(
  registry: SchemaRegistry,
  schema: string | undefined,
  req: SentRequest,
): string | undefined {
  if (!schema) return `${req.url}: called by a branch without a schema`;
  const { fields, form } = sentFields(req);
  const diags = registry.validate(schema, fields, { coerce: form });
  return diags.length > 0
    ? `outbound ${req.url} invalid against ${schema}: ${formatDiagnostics(diags)}`
    : undefined;
}

function answerBody(a: Answer): unknown {
  try {
    return a.json ?? JSON.parse(a.body);
  } catch {
    return undefined;
  }
}

class RouteChecker {
  private readonly delivered = new Set<string>();
  private readonly template: StockEntry | undefined;

  constructor(
    private readonly off: OfflineRuntime,
    private readonly route: Route,
    private readonly contract: SchemaRegistry,
  ) {
    this.template = Object.values(off.rt.table.stocks)[0];
  }

  private get partner(): string {
    const p = this.off.partners.find((q) => q.dialect === this.route.dialect.name);
    return p?.id ?? this.route.dialect.name;
  }

  /**
   * Seeds what the message names. A coupon whose id, code or grant serial the ledger already holds
   * for another coupon (an earlier message's, or one the flow registered) is left out: the ledger
   * keeps those unique.
   */
  async seed(f: Record<string, unknown>): Promise<void> {
    const { stocks, coupons } = seedOf(this.route, f, this.partner);
    for (const s of stocks) this.off.rt.table.stocks[s] = catalogueEntry(this.template, this.partner);
    const store = this.off.rt.store;
    const free: SeedCoupon[] = [];
    for (const c of coupons) {
      const holders = await Promise.all([
        c.couponId ? store.getCoupon({ couponId: c.couponId }) : undefined,
        c.couponCode ? store.getCoupon({ couponCode: c.couponCode }) : undefined,
        c.grantSerial ? store.getCoupon({ grantSerial: c.grantSerial }) : undefined,
      ]);
      const taken = holders.some((h) => h !== undefined && h.id !== c.id);
      const twice = free.some((o) =>
        (['couponId', 'couponCode', 'grantSerial'] as const).some((k) => c[k] !== undefined && o[k] === c[k]),
      );
      if (!taken && !twice) free.push(c);
    }
    await this.off.seedState({ coupons: free });
  }

  async check(m: GeneratedMessage, seeded: boolean): Promise<Verdict> {
    try {
      if (seeded) await this.seed(m.fields);
      const encoding = this.route.dialect.name === 'tencent' ? 'json' : 'form';
      const raw = this.off.signInbound(this.route.id, { [encoding]: m.fields });
      const r = await this.off.runInbound(this.route.id, raw);
      const notified = await this.deliverNotifications();
      if (typeof notified === 'string') return { ok: false, reason: notified };
      const calls = r.outbound.length + notified;
      return m.kind === 'near-miss'
        ? this.nearMissVerdict(r.answer, r.exchange.outcome, calls)
        : this.validVerdict(r.answer, r.exchange.outcome, r.outbound, r.exchange.branch?.schema, notified);
    } catch (e) {
      return { ok: false, reason: `exception: ${(e as Error).stack ?? String(e)}` };
    }
  }

  /** Delivers the notifications the message stored; the count, or the problem. */
  private async deliverNotifications(): Promise<number | string> {
    const items: OutboxItem[] = await this.off.rt.store.listOutbox({ state: 'pending' });
    let n = 0;
    for (const item of items) {
      if (this.delivered.has(item.id)) continue;
      this.delivered.add(item.id);
      const notify = this.off.rt.table.set.notify.find(
        (x) => x.doc.notify.kind === item.kind && x.doc.notify.v === item.v,
      );
      if (!notify) return `notification ${item.kind}@${item.v}: no notify mapping`;
      const payload = item.payload as Record<string, unknown>;
      const r = await this.off.runNotify(notify.doc.id, payload, item.dedupKey, item.destination);
      if (r.outcome !== 'delivered')
        return `notification ${item.kind}@${item.v} not delivered (${r.outcome}): ${r.reason ?? ''}`;
      for (const req of r.outbound) {
        const schemas = notify.doc.branches.map((b) => b.schema).filter((s): s is string => s !== undefined);
        const problems = schemas.map((s) => outboundProblem(this.contract, s, req));
        if (!problems.includes(undefined))
          return `notification ${item.kind}@${item.v}: ${problems.join('; ')}`;
      }
      n += r.outbound.length;
    }
    return n;
  }

  private answerProblem(answer: Answer): string | undefined {
    const body = answerBody(answer);
    if (body === undefined) return `answer is not JSON: ${answer.body.slice(0, 200)}`;
    const schema = this.route.doc.inbound.answer_schema;
    const diags = this.contract.validate(schema, body);
    return diags.length > 0
      ? `answer invalid against ${schema}: ${formatDiagnostics(diags)} — ${answer.body.slice(0, 300)}`
      : undefined;
  }

  private describe(answer: Answer, outcome: string | undefined): string {
    const body = answerBody(answer);
    const env = this.route.dialect.envelope;
    return `${outcome ?? '?'} (HTTP ${answer.status}, ${this.route.dialect.name} code ${env.codeOf(body) ?? '?'}: ${env.messageOf(body) ?? ''})`;
  }

  private validVerdict(
    answer: Answer,
    outcome: string | undefined,
    sent: SentRequest[],
    schema: string | undefined,
    notified: number,
  ): Verdict {
    if (outcome === 'CB_INTERNAL')
      return { ok: false, reason: `internal error: ${this.describe(answer, outcome)}` };
    for (const req of sent) {
      const problem = outboundProblem(this.contract, schema, req);
      if (problem) return { ok: false, reason: problem };
    }
    const body = answerBody(answer);
    // the stored answer of an earlier message with the same business key (or, Dianping, the same
    // signed bytes): that message was judged when it ran
    if (outcome === 'replayed') return { ok: true, outcome: 'repeat' };
    if (this.route.dialect.envelope.isSuccess(body)) {
      const bad = this.answerProblem(answer);
      if (bad) return { ok: false, reason: bad };
      return { ok: true, outcome: sent.length + notified > 0 ? 'upstream' : 'answered' };
    }
    const refusals = this.route.doc.inbound.refusals ?? [];
    if (outcome !== undefined && (refusals as string[]).includes(outcome))
      return { ok: true, outcome: 'refused', code: outcome };
    return {
      ok: false,
      reason: `valid message refused with ${this.describe(answer, outcome)}, a code not in the mapping's inbound.refusals [${refusals.join(', ')}]`,
    };
  }

  private nearMissVerdict(answer: Answer, outcome: string | undefined, calls: number): Verdict {
    if (calls > 0)
      return {
        ok: false,
        reason: `near-miss caused ${calls} upstream call(s); answered ${this.describe(answer, outcome)}`,
      };
    const body = answerBody(answer);
    const d = this.route.dialect;
    if (d.envelope.isSuccess(body))
      return { ok: false, reason: `near-miss accepted: ${this.describe(answer, outcome)}` };
    const want = { status: errorCatalog[SCHEMA_INVALID].status, code: String(d.codes[SCHEMA_INVALID]) };
    if (
      outcome !== SCHEMA_INVALID ||
      answer.status !== want.status ||
      d.envelope.codeOf(body) !== want.code
    ) {
      return {
        ok: false,
        reason: `near-miss refused as ${this.describe(answer, outcome)}, not ${SCHEMA_INVALID} (HTTP ${want.status}, code ${want.code})`,
      };
    }
    return { ok: true, outcome: 'near-miss' };
  }
}

function newReport(route: string): RouteReport {
  return {
    route,
    generated: { valid: 0, boundary: 0, nearMiss: 0, seeded: 0 },
    reachedUpstream: 0,
    answered: 0,
    repeats: 0,
    refusals: {},
    nearMissesRefused: 0,
  };
}

function tally(report: RouteReport, m: GeneratedMessage, seeded: boolean, v: Verdict): void {
  const g = report.generated;
  if (m.kind === 'near-miss') g.nearMiss++;
  else g[m.kind]++;
  if (seeded) g.seeded++;
  if (!v.ok) return;
  if (v.outcome === 'upstream') report.reachedUpstream++;
  else if (v.outcome === 'answered') report.answered++;
  else if (v.outcome === 'repeat') report.repeats++;
  else if (v.outcome === 'near-miss') report.nearMissesRefused++;
  else if (v.outcome === 'refused') report.refusals[v.code] = (report.refusals[v.code] ?? 0) + 1;
}

async function checkRoute(
  opts: GeneratedChecksOptions,
  routeId: string,
  seed: number,
  contract: SchemaRegistry,
): Promise<RouteReport> {
  const off = await openOfflineRuntime({
    mappingsDir: opts.mappingsDir,
    now: NOW,
    registry: opts.runtimeRegistry ?? contract,
    config: { partners: opts.partners ?? generatedPartners },
  });
  try {
    successReplies(off);
    const route = off.rt.table.byId.get(routeId)!;
    const checker = new RouteChecker(off, route, contract);
    const a = messageArbitraries(contract, route.doc.inbound.schema, {
      form: route.dialect.name !== 'tencent',
    });
    // shrinking a push of a hundred coupons step by step takes minutes: a bounded shrink is small enough
    const message = fc.limitShrink(
      fc.oneof(
        { weight: 2, arbitrary: a.valid },
        { weight: 1, arbitrary: a.boundary },
        { weight: 2, arbitrary: a.nearMiss },
      ),
      MAX_SHRINKS,
    );
    const report = newReport(routeId);
    let first: number | undefined;
    let lastReason = '';
    let run = 0;
    const property = fc.asyncProperty(message, fc.boolean(), async (m, seeded) => {
      const v = await checker.check(m, seeded);
      if (first === undefined) {
        run++;
        tally(report, m, seeded, v);
      }
      if (!v.ok) {
        first ??= run;
        lastReason = v.reason;
      }
      return v.ok;
    });
    const details = await fc.check(property, { numRuns: opts.runs, seed });
    if (details.failed && details.counterexample) {
      const [m, seeded] = details.counterexample;
      report.failure = {
        kind: m.kind,
        message: m,
        seeded,
        reason: lastReason || String(details.errorInstance ?? ''),
        path: details.counterexamplePath ?? '',
        run: first ?? 0,
        shrinks: details.numShrinks,
      };
    }
    return report;
  } finally {
    await off.close();
  }
}

/** Runs the generated checks on every inbound route of the mappings (or `routes`). */
export async function runGeneratedChecks(opts: GeneratedChecksOptions): Promise<GeneratedChecksResult> {
  const contract = opts.contract ?? loadSchemaRegistry();
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const probe = await openOfflineRuntime({ mappingsDir: opts.mappingsDir, now: NOW, registry: contract });
  const ids = [...probe.rt.table.byId.keys()].sort();
  await probe.close();
  const unknown = (opts.routes ?? []).filter((r) => !ids.includes(r));
  if (unknown.length > 0) throw new Error(`unknown route(s): ${unknown.join(', ')}`);
  const chosen = opts.routes ? ids.filter((id) => opts.routes!.includes(id)) : ids;
  const routes: RouteReport[] = [];
  for (const id of chosen) routes.push(await checkRoute(opts, id, seed, contract));
  return { seed, runs: opts.runs, routes };
}

function counts(r: Record<string, number>): string {
  const entries = Object.entries(r).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '' : `  ${entries.map(([k, n]) => `${k} ×${n}`).join(', ')}`;
}

/** The per-route report as printed by `couponbridge test --generate`. */
export function formatGeneratedReport(result: GeneratedChecksResult, command = 'couponbridge test'): string {
  const lines = [`generated contract checks: ${result.runs} messages per route, seed ${result.seed}`];
  for (const r of result.routes) {
    const g = r.generated;
    const valid = g.valid + g.boundary;
    const refused = Object.values(r.refusals).reduce((s, n) => s + n, 0);
    lines.push(
      `${r.failure ? '✗' : '✓'} ${r.route}: ${valid} valid (${g.boundary} boundary), ${g.nearMiss} near-miss, ${g.seeded} seeded`,
      `    reached upstream, outbound valid  ${r.reachedUpstream}`,
      `    answered without a call           ${r.answered}`,
      `    repeats of an earlier message     ${r.repeats}`,
      `    documented refusals               ${refused}${counts(r.refusals)}`,
      `    near-misses refused               ${r.nearMissesRefused}/${g.nearMiss}`,
      `    failures                          ${r.failure ? 1 : 0}`,
    );
    const f = r.failure;
    if (f) {
      const what = f.kind === 'near-miss' ? `near-miss "${f.message.breaks}"` : `${f.kind} message`;
      lines.push(
        `    FAILED at message ${f.run}: ${what}, ${f.seeded ? 'seeded' : 'unseeded'} (shrunk ${f.shrinks} times)`,
        `      reason:    ${f.reason}`,
        `      message:   ${JSON.stringify(f.message.fields)}`,
        `      reproduce: ${command} --generate ${result.runs} --seed ${result.seed} --route ${r.route}  (fast-check path "${f.path}")`,
      );
    }
  }
  return lines.join('\n');
}

/** Messages per route when `--generate` is given without a number. */
export const DEFAULT_GENERATED_RUNS = 300;

/**
 * `couponbridge test --generate [N] [--seed S] [--route R]`: runs the checks and prints the
 * report; exit 0 when no route failed, 1 when one did (a bad N or seed is the caller's exit 2).
 */
export async function runGeneratedCommand(
  opts: { mappingsDir: string; generate: string | true; seed?: string; route?: string },
  out: (text: string) => void,
): Promise<number> {
  const runs = opts.generate === true ? DEFAULT_GENERATED_RUNS : Number(opts.generate);
  const seed = opts.seed === undefined ? undefined : Number(opts.seed);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--generate ${String(opts.generate)}: a whole number of messages per route`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`--seed ${opts.seed}: a whole number`);
  const result = await runGeneratedChecks({
    mappingsDir: opts.mappingsDir,
    runs,
    seed,
    routes: opts.route ? [opts.route] : undefined,
  });
  out(`${formatGeneratedReport(result)}\n`);
  return result.routes.some((r) => r.failure) ? 1 : 0;
}
