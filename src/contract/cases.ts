/**
 * The case files of `couponbridge test`: DIR/tests/<route-id>/<case>.yaml, each checked against
 * schemas/mapping/case.schema.json, and the optional DIR/tests/config.yaml (its `$defs/config`).
 * A case keeps its parsed YAML Document, so a difference is reported at the line of the expected
 * value and `--update` edits the document in place (comments and layout survive).
 * The mapping loader reads only the top level of DIR and DIR/codes: tests/ is never a mapping.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ajvProblems, type Problem } from '../mapping/load';
import { projectRoot } from '../util/paths';
import type { YamlSource } from '../util/yaml';
import type { TestPartner } from './test-partners';
import type { SeedState } from './harness';

export type Fields = Record<string, unknown>;

export interface UpstreamDoc {
  answer?: Fields | string;
  status?: number;
  headers?: Record<string, string>;
  fault?: 'timeout' | 'unreachable' | 'http_error' | 'unreadable';
}

/** What a run must produce; the shape `--update` writes. */
export interface ExpectDoc {
  outbound?: RequestDoc | RequestDoc[];
  answer?: { status: number; body: unknown };
  delivery?: 'delivered' | 'retry' | 'dead';
  reason?: string;
  ledger?: Array<{ coupon: string; state: string }>;
  outbox?: Array<{ kind: string; v: number; destination: string; dedup_key: string; payload: unknown }>;
}

/** The order of an expect block's parts: what is sent, what comes back, what stays. */
export const EXPECT_ORDER: ReadonlyArray<keyof ExpectDoc> = [
  'outbound',
  'answer',
  'delivery',
  'reason',
  'ledger',
  'outbox',
];

export interface RequestDoc {
  method: string;
  url: string;
  headers: Record<string, string>;
  fields: Fields;
}

export interface CaseDoc {
  description: string;
  at: string;
  partner?: string;
  state?: SeedState;
  inbound?: { json?: Fields; form?: Fields; query?: Fields; signed?: 'as-is' };
  notify?: { payload: Fields; dedup_key: string; destination?: string };
  upstream?: UpstreamDoc;
  expect?: ExpectDoc;
  variants?: Array<{ description?: string; upstream: UpstreamDoc; expect?: ExpectDoc }>;
}

export interface TestsConfig {
  partners?: TestPartner[];
  settings?: Record<string, unknown>;
}

export interface CaseFile {
  /** As displayed (relative to the working directory). */
  file: string;
  path: string;
  routeId: string;
  name: string;
  doc: Document;
  value: CaseDoc;
  /** 1-based line of the node at `path`, or of its nearest existing parent. */
  lineAt(path: ReadonlyArray<string | number>): number;
}

export interface LoadedCases {
  cases: CaseFile[];
  config?: TestsConfig;
  problems: Problem[];
}

let compiled: { case: ValidateFunction; config: ValidateFunction } | undefined;

function validators(): { case: ValidateFunction; config: ValidateFunction } {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
  ajv.addSchema(
    JSON.parse(readFileSync(join(projectRoot(), 'schemas', 'mapping', 'case.schema.json'), 'utf8')),
  );
  compiled = { case: ajv.getSchema('mapping/case')!, config: ajv.getSchema('mapping/case#/$defs/config')! };
  return compiled;
}

function display(path: string): string {
  return relative(process.cwd(), path) || path;
}

interface ReadDocument {
  doc: Document;
  src: YamlSource;
  lineAt: CaseFile['lineAt'];
}

function readDocument(path: string, problems: Problem[]): ReadDocument | undefined {
  const file = display(path);
  const lineCounter = new LineCounter();
  const doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      problems.push({
        file,
        line: lineCounter.linePos(e.pos[0]).line,
        pointer: '',
        message: e.message.split('\n')[0],
      });
    return undefined;
  }
  const lineAt = (path: ReadonlyArray<string | number>): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return 1;
  };
  const src: YamlSource = {
    file,
    value: doc.toJS({ maxAliasCount: 100 }),
    lineOf: (pointer) =>
      lineAt(
        pointer
          .split('/')
          .slice(1)
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
          .map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
      ),
  };
  return { doc, src, lineAt };
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * Reads the cases of `routeIds` (every route directory when undefined). A directory that names no
 * route, a file that is not YAML or not a case, or a case time that does not parse is a problem.
 */
export function loadCases(mappingsDir: string, knownRoutes: Set<string>, only?: string): LoadedCases {
  const problems: Problem[] = [];
  const dir = join(mappingsDir, 'tests');
  const cases: CaseFile[] = [];
  if (!isDir(dir)) return { cases, problems };
  const v = validators();
  let config: TestsConfig | undefined;
  const configPath = join(dir, 'config.yaml');
  if (existsSync(configPath)) {
    const read = readDocument(configPath, problems);
    if (read && !v.config(read.src.value)) problems.push(...ajvProblems(v.config.errors, read.src));
    else if (read) config = read.src.value as TestsConfig;
  }
  for (const routeId of readdirSync(dir).sort()) {
    const routeDir = join(dir, routeId);
    if (!isDir(routeDir)) continue;
    if (!knownRoutes.has(routeId)) {
      problems.push({
        file: display(routeDir),
        line: 1,
        pointer: '',
        message: `no route "${routeId}" in ${display(mappingsDir)} (a case directory is named by a mapping's id)`,
      });
      continue;
    }
    if (only !== undefined && routeId !== only) continue;
    for (const name of readdirSync(routeDir).sort()) {
      if (!name.endsWith('.yaml') && !name.endsWith('.yml')) continue;
      const path = join(routeDir, name);
      const read = readDocument(path, problems);
      if (!read) continue;
      if (!v.case(read.src.value)) {
        problems.push(...ajvProblems(v.case.errors, read.src));
        continue;
      }
      const value = read.src.value as CaseDoc;
      if (Number.isNaN(Date.parse(value.at))) {
        problems.push({
          file: read.src.file,
          line: read.src.lineOf('/at'),
          pointer: '/at',
          message: `"${value.at}" is not an ISO-8601 time (e.g. 2024-03-01T10:16:00+08:00)`,
        });
        continue;
      }
      cases.push({
        file: read.src.file,
        path,
        routeId,
        name: name.replace(/\.ya?ml$/, ''),
        doc: read.doc,
        value,
        lineAt: read.lineAt,
      });
    }
  }
  return { cases, config, problems };
}
