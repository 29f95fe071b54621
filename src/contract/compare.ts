/**
 * Field-by-field comparison of a case's `expect` block with what the run produced, and the
 * in-place `--update` of the block. Every outbound header and field must be stated: one the
 * request has and the expectation lacks is a difference, as is one stated and not sent.
 * `ledger`, `outbox` and `reason` are compared only when the expectation states them (`--update`
 * writes them); `outbound` absent means "no call". Form and query fields are strings on the wire,
 * so a number or boolean written for one compares by its text.
 */
import { isMap, isScalar, type Document } from 'yaml';
import { EXPECT_ORDER, type ExpectDoc } from './cases';
import type { RunResult } from './run';

export type Path = Array<string | number>;

/** `undefined` on either side: absent. */
export interface Difference {
  path: Path;
  expected: unknown;
  got: unknown;
}

const OPTIONAL: ReadonlyArray<keyof ExpectDoc> = ['ledger', 'outbox', 'reason'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameScalar(expected: unknown, got: unknown, stringly: boolean): boolean {
  if (expected === got) return true;
  return stringly &&
    typeof got === 'string' &&
    (typeof expected === 'number' || typeof expected === 'boolean')
    ? String(expected) === got
    : false;
}

function diffValue(expected: unknown, got: unknown, path: Path, stringly: boolean, out: Difference[]): void {
  if (isObject(expected) && isObject(got)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(got)]);
    for (const k of keys) diffValue(expected[k], got[k], [...path, k], stringly, out);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(got) && expected.length === got.length) {
    expected.forEach((e, i) => diffValue(e, got[i], [...path, i], stringly, out));
    return;
  }
  if (isObject(expected) || isObject(got) || Array.isArray(expected) || Array.isArray(got)) {
    if (JSON.stringify(expected) !== JSON.stringify(got)) out.push({ path, expected, got });
    return;
  }
  if (!sameScalar(expected, got, stringly)) out.push({ path, expected, got });
}

/**
 * The differences of one run, with paths relative to its `expect` block. `complete`: the optional
 * parts too, as `--update` writes them.
 */
export function compareRun(r: RunResult, complete = false): Difference[] {
  const expected = r.run.expect ?? {};
  const got = r.observed;
  const out: Difference[] = [];
  const keys = new Set([...Object.keys(expected), ...Object.keys(got)] as Array<keyof ExpectDoc>);
  for (const k of keys) {
    if (!complete && OPTIONAL.includes(k) && expected[k] === undefined) continue;
    if (k === 'outbound') {
      const e = expected.outbound;
      const g = got.outbound;
      const eList = e === undefined ? [] : Array.isArray(e) ? e : [e];
      const gList = g === undefined ? [] : Array.isArray(g) ? g : [g];
      if (eList.length !== gList.length || (eList.length > 0 && Array.isArray(e) !== Array.isArray(g))) {
        out.push({ path: ['outbound'], expected: e, got: g });
        continue;
      }
      eList.forEach((req, i) => {
        const base: Path = Array.isArray(e) ? ['outbound', i] : ['outbound'];
        const stringly = r.encodings[i] === 'text';
        diffValue(req, gList[i], base, stringly, out);
      });
      continue;
    }
    diffValue(expected[k], got[k], [k], false, out);
  }
  return out;
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const text = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export function formatPath(p: Path): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** `field: expected → got` */
export function formatDifference(d: Difference): string {
  return `${formatPath(d.path)}: ${show(d.expected)} → ${show(d.got)}`;
}

/**
 * Writes what ran into the run's `expect` block of the document: each differing node is set
 * or deleted where it is, so comments and everything else in the file stay as they were.
 */
export function applyUpdate(doc: Document, r: RunResult, diffs: Difference[]): void {
  if (r.run.expect === undefined) {
    doc.setIn([...r.run.path, 'expect'], doc.createNode(r.observed));
    // a case's own expect block goes before its variants, not after them
    if (isMap(doc.contents)) {
      const items = doc.contents.items;
      const at = (key: string): number => items.findIndex((p) => isScalar(p.key) && p.key.value === key);
      const [expect, variants] = [at('expect'), at('variants')];
      if (variants >= 0 && expect > variants) items.splice(variants, 0, ...items.splice(expect, 1));
    }
    return;
  }
  for (const d of diffs) {
    const path = [...r.run.path, 'expect', ...d.path];
    if (d.got === undefined) doc.deleteIn(path);
    else doc.setIn(path, doc.createNode(d.got));
  }
  // a part added to an existing block goes where a written block has it (comments move with their pair)
  const block = doc.getIn([...r.run.path, 'expect'], true);
  if (isMap(block)) {
    const rank = (k: unknown): number =>
      EXPECT_ORDER.indexOf(String(isScalar(k) ? k.value : k) as keyof ExpectDoc);
    block.items.sort((a, b) => rank(a.key) - rank(b.key));
  }
}
