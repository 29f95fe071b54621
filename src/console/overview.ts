/**
 * The overview's numbers from the journal: exchanges and error rate per route and partner in
 * fixed time buckets (uPlot's column layout: one shared x array of epoch seconds, one y array
 * per series), and the per-series totals for the table under the charts.
 */
import type { ExchangeRecord } from '../store/types';

// Inbound exchanges that worked, and outbox deliveries that did (journaled as outcome `delivered`).
const OK = new Set(['success', 'recorded', 'replayed', 'delivered']);

export const isOk = (outcome: string): boolean => OK.has(outcome);

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: string[];
  values: Array<Array<number | null>>;
}

export interface JournalChart {
  data: { times: number[]; charts: ChartSpec[] };
  rows: Array<{ route: string; partner: string; total: number; errors: number }>;
  errors: number;
}

export function journalChart(
  list: ExchangeRecord[],
  now: Date,
  o: { hours: number; bucketMinutes: number },
): JournalChart {
  const bucketMs = o.bucketMinutes * 60_000;
  const end = Math.ceil(now.getTime() / bucketMs) * bucketMs;
  const n = Math.round((o.hours * 3_600_000) / bucketMs);
  const start = end - n * bucketMs;
  const times = Array.from({ length: n }, (_, i) => (start + i * bucketMs) / 1000);
  const series = new Map<string, { route: string; partner: string; total: number[]; errors: number[] }>();
  let errors = 0;
  for (const e of list) {
    const i = Math.floor((e.at.getTime() - start) / bucketMs);
    if (i < 0 || i >= n) continue;
    const partner = e.partner ?? '-';
    const key = `${e.route} · ${partner}`;
    let s = series.get(key);
    if (!s) {
      s = {
        route: e.route,
        partner,
        total: new Array<number>(n).fill(0),
        errors: new Array<number>(n).fill(0),
      };
      series.set(key, s);
    }
    s.total[i] += 1;
    if (!isOk(e.outcome)) {
      s.errors[i] += 1;
      errors += 1;
    }
  }
  const keys = [...series.keys()].sort();
  const all = keys.map((k) => series.get(k)!);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return {
    data: {
      times,
      charts: [
        {
          id: 'chart-traffic',
          title: `exchanges per ${o.bucketMinutes} min`,
          unit: 'exchanges',
          series: keys,
          values: all.map((s) => s.total),
        },
        {
          id: 'chart-errors',
          title: 'error rate',
          unit: '%',
          series: keys,
          values: all.map((s) => s.total.map((t, i) => (t === 0 ? null : (100 * s.errors[i]) / t))),
        },
      ],
    },
    rows: all.map((s) => ({
      route: s.route,
      partner: s.partner,
      total: sum(s.total),
      errors: sum(s.errors),
    })),
    errors,
  };
}
