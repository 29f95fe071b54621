#!/usr/bin/env node
// Counts and lists the mutants of a StrykerJS run from its per-mutant events
// (reports/mutation/<name>.events/, written as the run goes), so a run stopped before its final
// report still gives its figures. Usage: node scripts/mutate-summary.mjs reports/mutation/money.events [--all]
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [dir, flag] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/mutate-summary.mjs <events folder> [--all]');
  process.exit(2);
}
const counts = {};
const lines = new Map();
const rows = [];
for (const name of readdirSync(dir).filter((f) => f.includes('onMutantTested'))) {
  const m = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8'));
  counts[m.status] = (counts[m.status] ?? 0) + 1;
  if (flag !== '--all' && m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
  const file = relative(process.cwd(), m.fileName).replace(/^\.stryker-tmp\/[^/]+\//, '');
  if (!lines.has(file)) lines.set(file, readFileSync(file, 'utf8').split('\n'));
  const { line, column } = m.location.start;
  const code = lines.get(file)[line - 1].trim().slice(0, 100);
  const replacement = String(m.replacement).replace(/\s+/g, ' ').slice(0, 80);
  rows.push({
    key: [file, line, column],
    text: `${m.status} ${file}:${line}:${column} ${m.mutatorName} | ${code} | → ${replacement}`,
  });
}
rows.sort((a, b) => a.key[0].localeCompare(b.key[0]) || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
for (const r of rows) console.log(r.text);
const n = (s) => counts[s] ?? 0;
const tested = Object.values(counts).reduce((a, b) => a + b, 0);
const valid = tested - n('RuntimeError') - n('CompileError') - n('Ignored');
const detected = n('Killed') + n('Timeout');
console.log(JSON.stringify(counts));
console.log(
  `tested ${tested}: score ${((100 * detected) / valid).toFixed(2)}%, ` +
    `of covered ${((100 * detected) / (valid - n('NoCoverage'))).toFixed(2)}%`,
);
