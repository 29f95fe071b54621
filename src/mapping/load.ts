/**
 * Loads a mappings directory: every *.yaml is a route mapping (schemas/mapping/mapping.schema.json)
 * except the stock catalogue (schemas/mapping/stocks.schema.json, told apart by its `$schema`).
 * codes/*.yaml are the shared code tables (schemas/mapping/codes.schema.json), named by their file:
 * a mapping's `answer.codes_from: pyun` reads codes/pyun.yaml, its own `answer.codes` override rows,
 * and the loaded doc holds the resolved table (so everything downstream reads one `answer.codes`).
 * A mapping with `flow: notify` has no route: it is kept apart (`notify`), one per kind@v, for the
 * outbox worker and the checker, so the route table never sees it.
 * Each file is validated against its meta-schema and compiled once. Problems are collected and
 * reported together as `file:line: /pointer: message`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { parseYaml, YamlSyntaxError, type YamlSource } from '../util/yaml';
import { projectRoot } from '../util/paths';
import { compileMapping, type CompiledMapping } from './compile';
import { resolveCodes, type CodeOrigin } from './codes';
import type { CodeTableDoc, MappingDoc, NotifyDoc, StocksDoc, StockEntry } from './types';

export interface Problem {
  file: string;
  line: number;
  pointer: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.pointer ? `${p.pointer}: ` : ''}${p.message}`;
}

export class MappingLoadError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'MappingLoadError';
  }
}

/** A shared code table, mappings/codes/<name>.yaml. */
export interface LoadedCodeTable {
  name: string;
  file: string;
  source: YamlSource;
  doc: CodeTableDoc;
}

/** Where each entry of a mapping's resolved `answer.codes` was written, and the table it names. */
export interface CodeSources {
  table?: LoadedCodeTable;
  origin: Record<string, CodeOrigin>;
}

export interface LoadedMapping {
  file: string;
  source: YamlSource;
  doc: MappingDoc;
  compiled: CompiledMapping;
  codeSources: CodeSources;
}

/** A notification kind@v (flow: notify), delivered by the outbox worker. */
export interface LoadedNotify {
  file: string;
  source: YamlSource;
  doc: NotifyDoc;
  compiled: CompiledMapping<NotifyDoc>;
  codeSources: CodeSources;
}

export interface MappingSet {
  dir: string;
  mappings: LoadedMapping[];
  notify: LoadedNotify[];
  codeTables: Map<string, LoadedCodeTable>;
  stocks: Record<string, StockEntry>;
  stocksSource?: YamlSource;
}

let metaValidators:
  { mapping: ValidateFunction; stocks: ValidateFunction; codes: ValidateFunction } | undefined;

function validators() {
  if (metaValidators) return metaValidators;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const dir = join(projectRoot(), 'schemas', 'mapping');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  }
  metaValidators = {
    mapping: ajv.getSchema('mapping/mapping')!,
    stocks: ajv.getSchema('mapping/stocks')!,
    codes: ajv.getSchema('mapping/codes')!,
  };
  return metaValidators;
}

/** Ajv's errors as problems at the lines of `src` (also used for the contract test cases). */
export function ajvProblems(errors: ErrorObject[] | null | undefined, src: YamlSource): Problem[] {
  // oneOf/anyOf produce one error per failed alternative; keep the most specific ones.
  const errs = (errors ?? []).filter((e) => !['oneOf', 'anyOf', 'if'].includes(e.keyword));
  const list = errs.length > 0 ? errs : (errors ?? []);
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of list) {
    const pointer =
      e.keyword === 'additionalProperties'
        ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`
        : e.keyword === 'required'
          ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
          : e.instancePath;
    const message =
      e.keyword === 'additionalProperties'
        ? 'unknown key'
        : e.keyword === 'false schema'
          ? 'not allowed in this kind of mapping (notify mappings have no inbound, ledger or provided; others no notify)'
          : e.keyword === 'required'
            ? 'is required'
            : e.keyword === 'enum'
              ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
              : (e.message ?? e.keyword);
    const key = `${pointer}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      file: src.file,
      line: src.lineOf(e.keyword === 'required' ? e.instancePath : pointer),
      pointer,
      message,
    });
  }
  return out;
}

function isStocksFile(value: unknown): boolean {
  const s = (value as { $schema?: unknown } | null)?.$schema;
  return typeof s === 'string' && s.endsWith('stocks.schema.json');
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
    .sort();
}

/** Parses one file; a syntax error becomes problems and undefined. */
function parseFile(path: string, problems: Problem[]): YamlSource | undefined {
  const display = relative(process.cwd(), path) || path;
  try {
    return parseYaml(readFileSync(path, 'utf8'), display);
  } catch (e) {
    if (e instanceof YamlSyntaxError) {
      for (const line of e.message.split('\n')) {
        const m = /^(.*):(\d+): (.*)$/.exec(line);
        problems.push({ file: display, line: m ? Number(m[2]) : 1, pointer: '', message: m ? m[3] : line });
      }
      return undefined;
    }
    throw e;
  }
}

/**
 * The shared code tables of `dir`/codes, by name (the file name without its extension), and the
 * names of those that did not load (their problems are reported once, at the table).
 */
function readCodeTables(
  dir: string,
  problems: Problem[],
): { tables: Map<string, LoadedCodeTable>; broken: Set<string> } {
  const tables = new Map<string, LoadedCodeTable>();
  const broken = new Set<string>();
  const codesDir = join(dir, 'codes');
  if (!existsSync(codesDir)) return { tables, broken };
  const v = validators();
  for (const name of yamlFiles(codesDir)) {
    const table = basename(name, extname(name));
    broken.add(table);
    const src = parseFile(join(codesDir, name), problems);
    if (!src) continue;
    if (!v.codes(src.value)) {
      // the only `false` schemas of a code table forbid callers and message on a success row
      for (const p of ajvProblems(v.codes.errors, src))
        problems.push(
          p.message.startsWith('not allowed in this kind of mapping')
            ? { ...p, message: 'not allowed on a success row (the caller gets its success answer)' }
            : p,
        );
      continue;
    }
    broken.delete(table);
    tables.set(table, { name: table, file: src.file, source: src, doc: src.value as CodeTableDoc });
  }
  return { tables, broken };
}

/**
 * The mapping's code table with its shared table's rows resolved for its caller (the inbound
 * dialect; none for a notify mapping). An unknown table is a problem; the mapping then keeps its
 * own entries only.
 */
function resolveMappingCodes(
  doc: MappingDoc | NotifyDoc,
  src: YamlSource,
  { tables, broken }: { tables: Map<string, LoadedCodeTable>; broken: Set<string> },
  problems: Problem[],
): CodeSources {
  const name = doc.answer?.codes_from;
  const table = name === undefined ? undefined : tables.get(name);
  if (name !== undefined && !table && !broken.has(name)) {
    problems.push({
      file: src.file,
      line: src.lineOf('/answer/codes_from'),
      pointer: '/answer/codes_from',
      message: `no code table "${name}" (known: ${[...tables.keys()].join(', ') || 'none'}; tables are codes/<name>.yaml next to the mappings)`,
    });
  }
  const caller = doc.flow === 'notify' ? undefined : doc.inbound.dialect;
  const { codes, origin } = resolveCodes(table?.doc, caller, doc.answer?.codes);
  if (doc.answer && (doc.answer.codes !== undefined || table)) doc.answer = { ...doc.answer, codes };
  return { table, origin };
}

/** Loads and compiles every mapping in `dir`; throws MappingLoadError listing every problem. */
export function loadMappings(dir: string): MappingSet {
  const { set, problems } = readMappings(dir);
  if (problems.length > 0) throw new MappingLoadError(problems);
  return set;
}

/** Loads what loads: the valid mappings plus the problems of the others (for `check`). */
export function readMappings(dir: string): { set: MappingSet; problems: Problem[] } {
  const problems: Problem[] = [];
  const mappings: LoadedMapping[] = [];
  const notify: LoadedNotify[] = [];
  let stocks: Record<string, StockEntry> = {};
  let stocksSource: YamlSource | undefined;
  const codeTables = readCodeTables(dir, problems);
  const v = validators();
  for (const name of yamlFiles(dir)) {
    const src = parseFile(join(dir, name), problems);
    if (!src) continue;
    const display = src.file;
    if (isStocksFile(src.value)) {
      if (!v.stocks(src.value)) {
        problems.push(...ajvProblems(v.stocks.errors, src));
        continue;
      }
      stocks = (src.value as StocksDoc).stocks;
      stocksSource = src;
      continue;
    }
    if (!v.mapping(src.value)) {
      problems.push(...ajvProblems(v.mapping.errors, src));
      continue;
    }
    const doc = src.value as MappingDoc | NotifyDoc;
    try {
      const codeSources = resolveMappingCodes(doc, src, codeTables, problems);
      if (doc.flow === 'notify')
        notify.push({ file: display, source: src, doc, compiled: compileMapping(doc), codeSources });
      else mappings.push({ file: display, source: src, doc, compiled: compileMapping(doc), codeSources });
    } catch (e) {
      problems.push({ file: display, line: 1, pointer: '', message: (e as Error).message });
    }
  }
  const ids = new Map<string, string>();
  const routes = new Map<string, string>();
  const kinds = new Map<string, string>();
  for (const m of [...mappings, ...notify]) {
    const prev = ids.get(m.doc.id);
    if (prev)
      problems.push({
        file: m.file,
        line: m.source.lineOf('/id'),
        pointer: '/id',
        message: `duplicate route id ${m.doc.id} (also in ${prev})`,
      });
    ids.set(m.doc.id, m.file);
  }
  for (const m of notify) {
    const key = `${m.doc.notify.kind}@${m.doc.notify.v}`;
    const other = kinds.get(key);
    if (other)
      problems.push({
        file: m.file,
        line: m.source.lineOf('/notify'),
        pointer: '/notify',
        message: `notification kind ${key} already delivered by ${other}`,
      });
    kinds.set(key, m.file);
  }
  for (const m of mappings) {
    for (const method of m.doc.inbound.methods ?? ['POST']) {
      const key = `${method} ${m.doc.inbound.path}`;
      const other = routes.get(key);
      if (other)
        problems.push({
          file: m.file,
          line: m.source.lineOf('/inbound/path'),
          pointer: '/inbound/path',
          message: `route ${key} already mapped in ${other}`,
        });
      routes.set(key, m.file);
    }
  }
  return { set: { dir, mappings, notify, codeTables: codeTables.tables, stocks, stocksSource }, problems };
}
