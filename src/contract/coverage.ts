/**
 * Coverage of a mappings directory by its cases: per route, the branches its runs selected out of
 * the mapping's `branches[].name` (a mapping without branches counts as one, exercised by any run)
 * and the code rows the upstream's outcomes hit out of every key of the resolved `answer.codes`
 * (shared table rows and local overrides, timeout/unreachable/http_error/unreadable/default
 * included).
 */
import type { RouteTable } from '../runtime';

const WHOLE_ROUTE = '(route)';

export interface RouteCoverage {
  routeId: string;
  branches: string[];
  codeRows: string[];
  branchesHit: Set<string>;
  codeRowsHit: Set<string>;
  runs: number;
}

export function routeIds(table: RouteTable): string[] {
  return [...table.byId.keys(), ...table.set.notify.map((n) => n.doc.id)].sort();
}

export function emptyCoverage(table: RouteTable, routeId: string): RouteCoverage {
  const doc = table.byId.get(routeId)?.doc ?? table.set.notify.find((n) => n.doc.id === routeId)!.doc;
  const names = (doc.branches ?? []).map((b) => b.name);
  return {
    routeId,
    branches: names.length > 0 ? names : [WHOLE_ROUTE],
    codeRows: Object.keys(doc.answer?.codes ?? {}),
    branchesHit: new Set(),
    codeRowsHit: new Set(),
    runs: 0,
  };
}

export function recordRun(c: RouteCoverage, branches: string[], codeRow: string | undefined): void {
  c.runs++;
  if (c.branches[0] === WHOLE_ROUTE) c.branchesHit.add(WHOLE_ROUTE);
  for (const b of branches) c.branchesHit.add(b);
  if (codeRow !== undefined) c.codeRowsHit.add(codeRow);
}

export interface Totals {
  branches: number;
  branchesHit: number;
  codeRows: number;
  codeRowsHit: number;
}

export function totals(list: RouteCoverage[]): Totals {
  const t = { branches: 0, branchesHit: 0, codeRows: 0, codeRowsHit: 0 };
  for (const c of list) {
    t.branches += c.branches.length;
    t.branchesHit += c.branches.filter((b) => c.branchesHit.has(b)).length;
    t.codeRows += c.codeRows.length;
    t.codeRowsHit += c.codeRows.filter((k) => c.codeRowsHit.has(k)).length;
  }
  return t;
}

export function isFull(t: Totals): boolean {
  return t.branchesHit === t.branches && t.codeRowsHit === t.codeRows;
}

/** `coverage <route>: branches 3/3, code rows 21/21` and, when short, what no case exercised. */
export function formatCoverage(c: RouteCoverage): string {
  const t = totals([c]);
  const missing = [
    ...c.branches.filter((b) => !c.branchesHit.has(b)).map((b) => `branch ${b}`),
    ...c.codeRows.filter((k) => !c.codeRowsHit.has(k)).map((k) => `code row ${k}`),
  ];
  return (
    `coverage ${c.routeId}: ${formatTotals(t)}${c.runs === 0 ? ' (no cases)' : ''}\n` +
    (missing.length > 0 ? `  not exercised: ${missing.join(', ')}\n` : '')
  );
}

export function formatTotals(t: Totals): string {
  return `branches ${t.branchesHit}/${t.branches}, code rows ${t.codeRowsHit}/${t.codeRows}`;
}
