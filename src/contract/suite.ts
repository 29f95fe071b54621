/**
 * `couponbridge test`: every case of DIR/tests (or one route's), run offline, compared field by
 * field, with a coverage line per route and in total. Exit 0: every case passed (and, with
 * requireFullCoverage, every branch and code row was exercised); 1: a case failed or coverage
 * fell short; 2: the mappings or a case file are broken, or the usage is wrong.
 */
import { writeFileSync } from 'node:fs';
import { MappingLoadError, formatProblem } from '../mapping/load';
import { loadSchemaRegistry } from '../schema/registry';
import { loadCheckedTable } from '../server/reload';
import type { RouteTable } from '../runtime';
import { loadCases, type CaseFile } from './cases';
import { applyUpdate, compareRun, formatDifference, type Difference } from './compare';
import { emptyCoverage, formatCoverage, formatTotals, isFull, recordRun, routeIds, totals } from './coverage';
import { runCase, type RunResult } from './run';

export interface SuiteOptions {
  mappingsDir: string;
  route?: string;
  update?: boolean;
  requireFullCoverage?: boolean;
}

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_BROKEN = 2;

function loadTable(dir: string, out: (t: string) => void): RouteTable | undefined {
  try {
    return loadCheckedTable(dir, { registry: loadSchemaRegistry() });
  } catch (e) {
    if (e instanceof MappingLoadError) {
      for (const p of e.problems) out(`${formatProblem(p)}\n`);
      return undefined;
    }
    out(`${dir}: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** The line of the expected value a difference names (or of its nearest stated parent). */
function lineOf(c: CaseFile, r: RunResult, d: Difference): number {
  return r.run.expect === undefined ? c.lineAt(r.run.path) : c.lineAt([...r.run.path, 'expect', ...d.path]);
}

export async function runSuite(o: SuiteOptions, out: (text: string) => void): Promise<number> {
  const table = loadTable(o.mappingsDir, out);
  if (!table) return EXIT_BROKEN;
  const ids = routeIds(table);
  if (o.route !== undefined && !ids.includes(o.route)) {
    out(`unknown route "${o.route}" (routes: ${ids.join(', ')})\n`);
    return EXIT_BROKEN;
  }
  const { cases, config, problems } = loadCases(o.mappingsDir, new Set(ids), o.route);
  if (problems.length > 0) {
    for (const p of problems) out(`${formatProblem(p)}\n`);
    return EXIT_BROKEN;
  }
  const registry = loadSchemaRegistry();
  const selected = o.route === undefined ? ids : [o.route];
  const coverage = new Map(selected.map((id) => [id, emptyCoverage(table, id)]));
  let failed = 0;
  let passed = 0;
  let broken = 0;
  for (const c of cases) {
    let results: RunResult[];
    try {
      results = await runCase(c, { mappingsDir: o.mappingsDir, table, registry, config });
    } catch (e) {
      out(`BROKEN ${c.file}: ${(e as Error).message}\n`);
      broken++;
      continue;
    }
    let changed = false;
    for (const r of results) {
      recordRun(coverage.get(c.routeId)!, r.branches, r.codeRow);
      const diffs = compareRun(r, o.update);
      if (diffs.length === 0) {
        passed++;
        continue;
      }
      if (o.update) {
        out(`UPDATE ${r.run.label}\n`);
        if (r.run.expect === undefined) out(`  ${c.file}:${c.lineAt(r.run.path)}: expect written\n`);
        else for (const d of diffs) out(`  ${c.file}:${lineOf(c, r, d)}: ${formatDifference(d)}\n`);
        applyUpdate(c.doc, r, diffs);
        changed = true;
        continue;
      }
      failed++;
      out(
        `FAIL ${r.run.label}: ${r.run.expect === undefined ? 'no expect block (write it with --update)' : c.value.description}\n`,
      );
      for (const d of diffs) out(`  ${c.file}:${lineOf(c, r, d)}: ${formatDifference(d)}\n`);
    }
    if (changed) writeFileSync(c.path, c.doc.toString({ lineWidth: 0 }));
  }
  const list = [...coverage.values()];
  for (const c of list) out(formatCoverage(c));
  const t = totals(list);
  out(`coverage total: ${formatTotals(t)}\n`);
  out(
    `${passed} passed, ${failed} failed${broken ? `, ${broken} broken` : ''}${o.update ? ' (expectations updated)' : ''}\n`,
  );
  if (broken > 0) return EXIT_BROKEN;
  if (failed > 0) return EXIT_FAIL;
  if (o.requireFullCoverage && !isFull(t)) {
    out('coverage is not full (--require-full-coverage): add cases or variants for what is listed above\n');
    return EXIT_FAIL;
  }
  return EXIT_PASS;
}
