/**
 * The console's Settlement page and its JSON: the statement of one Asia/Shanghai calendar month
 * (default: the current one) and its discrepancies, from the same `buildStatement` as
 * `couponbridge reconcile` (docs/settlement.md), with the same options the CLI uses by default.
 *
 * The statement's queries run on the server's own store. On SQLite each query is synchronous on
 * the event loop, so the store is read through `yieldingStore` (the translation traffic gets a
 * turn between two queries) and one month is computed at most once at a time, however many
 * operators ask for it together.
 */
import { fenToYuan } from '../money';
import type { Runtime } from '../runtime';
import type { Store } from '../store/types';
import {
  buildStatement,
  monthOf,
  type Discrepancy,
  type Statement,
  type Totals,
} from '../reconcile/statement';
import { idempotencyRetentionMs } from '../config/retention';
import { CLAIM_ROUTE } from '../reconcile/statement';
import { html, Html, table } from './html';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
/** The CLI's default `--grace-minutes`: work in flight for less than this is not a discrepancy. */
const GRACE_MS = 15 * 60_000;
/** More rows than this would make a page nobody reads; the JSON and the CLI have them all. */
export const MAX_DISCREPANCY_ROWS = 500;

/** `YYYY-MM`, or an error naming what was given. */
export function parseMonth(month: string): { year: number; month: number } {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`month ${JSON.stringify(month)} is not YYYY-MM`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The month `by` months after (or before, if negative) `month`, as `YYYY-MM`. */
export function shiftMonth(month: string, by: number): string {
  const m = parseMonth(month);
  const index = m.year * 12 + (m.month - 1) + by;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The first and last day of a `YYYY-MM` month, as `reconcile --from/--to` takes them. */
export function monthDays(month: string): { from: string; to: string } {
  const m = parseMonth(month);
  // The 15th at noon UTC is in that month in Shanghai too.
  return monthOf(new Date(Date.UTC(m.year, m.month - 1, 15, 12)));
}

/** The Shanghai month of an instant, `YYYY-MM`. */
export const currentMonth = (now: Date): string => monthOf(now).from.slice(0, 7);

/**
 * The store's methods, each called only after the event loop has had a turn: a statement is many
 * queries (a few large ones, and one or two per listed notification), and on SQLite each blocks
 * the loop while it runs. Read-only use only.
 */
export function yieldingStore(store: Store): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const v = Reflect.get(target, name, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export interface SettlementQuery {
  month: string;
  partner?: string;
}

/** Statements by month and partner; concurrent asks for the same one share one computation. */
export function settlementSource(rt: Runtime): (q: SettlementQuery) => Promise<Statement> {
  const inFlight = new Map<string, Promise<Statement>>();
  return (q) => {
    const { from, to } = monthDays(q.month);
    const key = `${q.month}\u0000${q.partner ?? ''}`;
    let p = inFlight.get(key);
    if (!p) {
      const now = new Date();
      p = buildStatement(yieldingStore(rt.store), {
        from,
        to,
        partner: q.partner,
        now,
        graceMs: GRACE_MS,
        idempotencyKeptSince: new Date(now.getTime() - idempotencyRetentionMs(rt.config.journal)),
        claimRoute: CLAIM_ROUTE,
      }).finally(() => inFlight.delete(key));
      inFlight.set(key, p);
    }
    return p;
  };
}

const columns: Array<[keyof Totals, string, boolean]> = [
  ['claimed', 'claimed', false],
  ['claimed_value_fen', 'claimed 元', true],
  ['redeemed', 'redeemed', false],
  ['redeemed_value_fen', 'redeemed 元', true],
  ['expired', 'expired', false],
  ['invalidated', 'invalidated', false],
  ['refunded', 'refunded', false],
  ['refunded_value_fen', 'refunded 元', true],
];

const totalsCells = (t: Totals): Html[] =>
  columns.map(([k, , money]) =>
    money
      ? html`<span class="num" data-fen="${t[k]}">${fenToYuan(t[k])}</span>`
      : html`<span class="num">${t[k]}</span>`,
  );

function discrepancyRows(list: Discrepancy[]): Array<Array<Html | string>> {
  return list.map((d) => [
    html`<code>${d.kind}</code>`,
    d.partner,
    html`<code>${d.ref}</code>`,
    d.at,
    d.detail,
    d.exchange_ids.length > 0
      ? html`${d.exchange_ids.map((id, i) => html`${i > 0 ? ' ' : ''}<a href="/console/exchanges/${id}">${id}</a>`)}`
      : '-',
  ]);
}

/** The page's body: the month picker, per-partner totals, per-stock rows, the discrepancies. */
export function settlementBody(s: Statement, q: SettlementQuery, partners: string[]): Html {
  const query = (month: string) =>
    `/console/settlement?month=${month}${q.partner ? `&partner=${encodeURIComponent(q.partner)}` : ''}`;
  const json = `/console/api/settlement?month=${q.month}${q.partner ? `&partner=${encodeURIComponent(q.partner)}` : ''}`;
  const cli = `couponbridge reconcile --from ${s.from} --to ${s.to}${q.partner ? ` --partner ${q.partner}` : ''}`;
  const options = ['', ...new Set([...partners, ...(q.partner ? [q.partner] : [])])];
  const shown = s.discrepancies.slice(0, MAX_DISCREPANCY_ROWS);
  return html`<nav class="months">
      <a id="previous-month" href="${query(shiftMonth(q.month, -1))}">← ${shiftMonth(q.month, -1)}</a>
      <form class="inline" method="get" action="/console/settlement">
        <label>month <input type="month" name="month" value="${q.month}" required /></label>
        <label
          >partner
          <select name="partner">
            ${options.map(
              (o) =>
                html`<option value="${o}" ${o === (q.partner ?? '') ? new Html(' selected') : ''}>
                  ${o || 'all'}
                </option>`,
            )}
          </select></label
        >
        <button type="submit">Show</button>
      </form>
      <a id="next-month" href="${query(shiftMonth(q.month, 1))}">${shiftMonth(q.month, 1)} →</a>
    </nav>
    <p id="period">
      ${s.from} – ${s.to}, Asia/Shanghai days, both inclusive; values in 元 (the JSON has the 分). The same as
      <code>${cli}</code> · <a href="${json}">JSON</a>
    </p>
    <h2>Per partner</h2>
    ${
      s.partners.length > 0
        ? table(
            ['partner', ...columns.map(([, label]) => label)],
            s.partners.map((p) => [p.partner, ...totalsCells(p)]),
            { id: 'settlement-partners' },
          )
        : html`<p id="no-activity">No ledger transitions in ${q.month}.</p>`
    }
    ${
      s.partners.length > 0
        ? html`<h2>Per stock</h2>
            ${table(
              ['partner', 'stock', ...columns.map(([, label]) => label)],
              s.partners.flatMap((p) => p.stocks.map((st) => [p.partner, st.stock_id, ...totalsCells(st)])),
              { id: 'settlement-stocks' },
            )}`
        : ''
    }
    <h2>Discrepancies: <span id="discrepancy-count">${s.discrepancies.length}</span></h2>
    ${
      s.discrepancies.length > 0
        ? table(['kind', 'partner', 'ref', 'at', 'detail', 'exchanges to trace'], discrepancyRows(shown), {
            id: 'discrepancies',
          })
        : html`<p class="ok" id="no-discrepancies">None.</p>`
    }
    ${
      s.discrepancies.length > shown.length
        ? html`<p class="bad">${s.discrepancies.length - shown.length} more: see the JSON.</p>`
        : ''
    }`;
}
