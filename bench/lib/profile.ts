/**
 * Reads a V8 .cpuprofile and ranks self time by function and by file or package, and total
 * (inclusive) time of the project's own functions — which stage costs what — idle time excluded,
 * so hot spots can be named precisely. Frames in the esbuild bundle are mapped back to their
 * source file and line through the bundle's source map.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../src/util/paths';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  functions: HotSpot[];
  files: HotSpot[];
  /** Inclusive time of functions in src/ (a sample counts once per function on its stack). */
  inclusive: HotSpot[];
}

/** A file's place: a project path, a package name, a node: module, or V8 itself. */
export function placeOf(path: string): string {
  if (path === '') return '(V8/native)';
  if (path.startsWith('node:') || path.startsWith('wasm:')) return path;
  const nm = path.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return isAbsolute(path) ? relative(projectRoot(), path) : path;
}

/** Maps a bundle position to `source path` and 1-based line; other frames pass through. */
function sourceMapper(bundle: string | undefined): (f: CallFrame) => { path: string; line: number } {
  const mapFile = bundle && `${bundle}.map`;
  const map =
    mapFile && existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined;
  return (f) => {
    const path = f.url.startsWith('file://') ? fileURLToPath(f.url) : f.url;
    if (!map || path !== bundle) return { path, line: f.lineNumber + 1 };
    const e = map.findEntry(f.lineNumber, f.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (!e.originalSource) return { path, line: f.lineNumber + 1 };
    const src = e.originalSource.startsWith('file://')
      ? fileURLToPath(e.originalSource)
      : resolve(bundle, '..', e.originalSource);
    return { path: src, line: (e.originalLine ?? 0) + 1 };
  };
}

function rank(m: Map<string, number>, busy: number, top: number): HotSpot[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, pct: (us / busy) * 100 }));
}

export function summarizeProfile(file: string, opts: { bundle?: string; top?: number } = {}): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const locate = sourceMapper(opts.bundle);
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = new Map(
    p.nodes.map((n) => {
      const at = locate(n.callFrame);
      const place = placeOf(at.path);
      const name = `${n.callFrame.functionName || '(anonymous)'} ${place}${at.path ? `:${at.line}` : ''}`;
      return [
        n.id,
        { idle: n.callFrame.functionName === '(idle)', place, name, own: place.startsWith('src/') },
      ];
    }),
  );
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);
  let busy = 0;
  p.samples.forEach((id, i) => {
    const w = where.get(id)!;
    if (w.idle) return;
    const us = p.timeDeltas[i] ?? 0;
    add(fns, w.name, us);
    add(files, w.place, us);
    busy += us;
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = where.get(n)!;
      if (f.own && !seen.has(f.name)) add(inclusive, f.name, us);
      seen.add(f.name);
    }
  });
  const top = opts.top ?? 25;
  return {
    file,
    busyMs: busy / 1000,
    functions: rank(fns, busy, top),
    files: rank(files, busy, top),
    inclusive: rank(inclusive, busy, top),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const line = (h: HotSpot): string =>
    `  ${h.selfMs.toFixed(0).padStart(7)} ms ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`;
  return [
    `profile ${s.file} (${s.busyMs.toFixed(0)} ms busy)`,
    'self time by function:',
    ...s.functions.map(line),
    'self time by file / package:',
    ...s.files.map(line),
    'total time (self + callees) of src/ functions:',
    ...s.inclusive.map(line),
  ].join('\n');
}
