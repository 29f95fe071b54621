/**
 * A statement as text: JSON (the shape), CSV (one row per partner and stock, for
 * spreadsheets), a table for a terminal, and the per-partner statement files of `--out DIR`
 * (CSV with a header of totals, and a JSON twin). Nothing here reads a clock or the machine, so
 * the same statement always gives the same bytes.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvField } from '../util/csv';
import type { Discrepancy, PartnerStatement, Statement, Totals } from './statement';

const totalColumns: Array<keyof Totals> = [
  'claimed',
  'redeemed',
  'expired',
  'invalidated',
  'refunded',
  'claimed_value_fen',
  'redeemed_value_fen',
  'refunded_value_fen',
];

const csvLine = (values: unknown[]): string => values.map(csvField).join(',');

export function toJson(s: Statement): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

/** One row per partner and stock. */
export function toCsv(s: Statement): string {
  const lines = [csvLine(['from', 'to', 'partner', 'stock_id', ...totalColumns])];
  for (const p of s.partners) {
    for (const st of p.stocks)
      lines.push(csvLine([s.from, s.to, p.partner, st.stock_id, ...totalColumns.map((c) => st[c])]));
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

export function toTable(s: Statement): string {
  const head = ['partner', 'stock', ...totalColumns];
  const rows: string[][] = [head];
  for (const p of s.partners) {
    rows.push([p.partner, '(all)', ...totalColumns.map((c) => String(p[c]))]);
    for (const st of p.stocks) rows.push(['', st.stock_id, ...totalColumns.map((c) => String(st[c]))]);
  }
  const out = [`Settlement ${s.from} – ${s.to} (Asia/Shanghai, inclusive); values in 分`, ''];
  out.push(...(s.partners.length > 0 ? table(rows) : ['no ledger transitions in the period']));
  out.push('', `Discrepancies: ${s.discrepancies.length}`);
  for (const d of s.discrepancies) {
    out.push(`- ${d.kind}  ${d.partner}  ${d.ref}  ${d.at}`, `  ${d.detail}`);
    if (d.exchange_ids.length > 0) out.push(`  trace: ${d.exchange_ids.join(' ')}`);
  }
  return `${out.join('\n')}\n`;
}

/** A partner's statement: its totals, its stocks and its discrepancies. */
export interface PartnerFile {
  from: string;
  to: string;
  partner: PartnerStatement;
  discrepancies: Discrepancy[];
}

export function partnerFiles(s: Statement, only?: string): PartnerFile[] {
  const ids = new Set([...s.partners.map((p) => p.partner), ...s.discrepancies.map((d) => d.partner)]);
  if (only !== undefined) ids.add(only);
  const empty = (partner: string): PartnerStatement => ({
    partner,
    ...(Object.fromEntries(totalColumns.map((c) => [c, 0])) as unknown as Totals),
    stocks: [],
  });
  return [...ids]
    .filter((id) => id !== '' && (only === undefined || id === only))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => ({
      from: s.from,
      to: s.to,
      partner: s.partners.find((p) => p.partner === id) ?? empty(id),
      discrepancies: s.discrepancies.filter((d) => d.partner === id),
    }));
}

/** CSV: a header of totals, then the stocks, then the discrepancies. */
export function partnerCsv(f: PartnerFile): string {
  const p = f.partner;
  const lines = [
    csvLine(['partner', 'from', 'to', ...totalColumns]),
    csvLine([p.partner, f.from, f.to, ...totalColumns.map((c) => p[c])]),
    '',
    csvLine(['stock_id', ...totalColumns]),
    ...p.stocks.map((st) => csvLine([st.stock_id, ...totalColumns.map((c) => st[c])])),
    '',
    csvLine(['discrepancy', 'ref', 'at', 'detail', 'exchange_ids']),
    ...f.discrepancies.map((d) => csvLine([d.kind, d.ref, d.at, d.detail, d.exchange_ids.join(' ')])),
  ];
  return `${lines.join('\n')}\n`;
}

export function partnerJson(f: PartnerFile): string {
  return `${JSON.stringify({ from: f.from, to: f.to, ...f.partner, discrepancies: f.discrepancies }, null, 2)}\n`;
}

const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** Writes `<partner>_<from>_<to>.csv` and `.json` per partner into `dir` (created; each file replaced whole); returns the paths. */
export function writeStatementFiles(dir: string, s: Statement, only?: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of partnerFiles(s, only)) {
    const base = join(dir, `${fileSafe(f.partner.partner)}_${f.from}_${f.to}`);
    for (const [path, text] of [
      [`${base}.csv`, partnerCsv(f)],
      [`${base}.json`, partnerJson(f)],
    ]) {
      // a reader never sees half a file: write aside, then rename over
      writeFileSync(`${path}.tmp`, text);
      renameSync(`${path}.tmp`, path);
      written.push(path);
    }
  }
  return written;
}
