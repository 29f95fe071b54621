import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { childBundle } from './lib/build';
const p = JSON.parse(readFileSync(process.argv[4] ?? '/tmp/t1.cpuprofile', 'utf8'));
const bundle = childBundle();
const map = new SourceMap(JSON.parse(readFileSync(bundle + '.map', 'utf8')));
const nodes = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: any) => {
  const f = n.callFrame;
  let loc = f.url.replace(/.*node_modules\//, 'npm:');
  if (f.url.endsWith('child.js')) { const e: any = map.findEntry(f.lineNumber, f.columnNumber); loc = (e.originalSource ?? '').replace(/.*\/main\//, '') + ':' + ((e.originalLine ?? 0) + 1); }
  return `${f.functionName || '(anon)'} ${loc}`;
};
const self = new Map<number, number>();
p.samples.forEach((id: number, i: number) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
// inclusive by label (count each sample once per label on its stack)
const incl = new Map<string, number>();
let busy = 0;
p.samples.forEach((id: number, i: number) => {
  const us = p.timeDeltas[i] ?? 0;
  if (nodes.get(id).callFrame.functionName === '(idle)') return;
  busy += us;
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(nodes.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + us);
  }
});
const filt = process.argv[2] ? new RegExp(process.argv[2]) : /src\//;
[...incl.entries()].filter(([l]) => filt.test(l)).sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 60)).forEach(([l, us]) => console.log((us / 1000).toFixed(0).padStart(7), ((us / busy) * 100).toFixed(1).padStart(5) + '%', l));
console.log('busy', busy / 1000);
