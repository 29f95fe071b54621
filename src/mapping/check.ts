/**
 * Static check of loaded mappings against the message schemas and dialects (`couponbridge
 * check`, and every load/hot-reload): every source path exists where it points (inbound
 * schema, upstream answer schema, stock catalogue, ledger record, vars), every required field
 * of each outbound schema is produced (or added by the target dialect), every code in a code
 * table is known to its dialect, every code the target's platform answers is in the mapping's
 * code table (shared rows from `codes_from` and local entries), and every flow, schema and
 * converter exists. A notify mapping
 * (flow: notify) is checked the same way with its payload schema as `in`, and every enqueueing
 * branch must name a notify kind@v that exists and produce that kind's payload.
 */
import type { Dialect } from '../dialects/types';
import { cbCodes } from '../errors';
import type { SchemaRegistry } from '../schema/registry';
import { getDialect } from '../dialects';
import { splitPath } from './paths';
import { ledgerFields } from '../ledger/coupons';
import type { LoadedMapping, LoadedNotify, MappingSet, Problem } from './load';
import { commonFields } from './common-fields';
import { flowNames, type Expression } from './types';

const stockFields = [
  'stock_id',
  'park_uuid',
  'store_code',
  'api_store_code',
  'api_type',
  'metadata',
  'subject',
  'pyun_discount_type',
  'coupon_value_unit',
  'app_id',
  'app_channel_id',
  'stock_name',
  'instructions',
  'coupon_name',
  'coupon_desc',
  'coupon_type',
  'face_value_fen',
  'transaction_minimum_fen',
  'discount_percent',
  'discount_amount_max_fen',
  'max_coupons',
  'max_coupons_per_user',
  'available_begin_time',
  'available_end_time',
  'create_time',
  'stock_status',
];

const specialCodes = new Set(['default', 'http_error', 'unreadable', 'timeout', 'unreachable']);

/** ctx names the outbox sets for a notify mapping: the row's identity and the delivery attempt. */
export const notifyContext = ['dedup_key', 'destination', 'attempt', 'item_id'] as const;

/**
 * The codes a dialect's platform itself answers: its known answer codes without the ones only
 * couponbridge answers in that dialect (dialects/shared/codes.ts describes those "couponbridge: …").
 */
export function platformCodes(d: Dialect): string[] {
  return Object.entries(d.knownAnswerCodes)
    .filter(([, meaning]) => !meaning.startsWith('couponbridge:'))
    .map(([code]) => code);
}

function collectPaths(e: Expression, out: string[]): void {
  if (typeof e === 'string') {
    out.push(e);
    return;
  }
  if (e.from) out.push(e.from);
  if (e.template) for (const m of e.template.matchAll(/\{([a-z]+(?:\.[A-Za-z0-9_[\]]+)+)\}/g)) out.push(m[1]);
  for (const alt of e.first ?? []) collectPaths(alt, out);
}

function dialectOrProblem(
  name: string,
  m: LoadedMapping | LoadedNotify,
  pointer: string,
  problems: Problem[],
): Dialect | undefined {
  try {
    return getDialect(name);
  } catch (e) {
    problems.push({ file: m.file, line: m.source.lineOf(pointer), pointer, message: (e as Error).message });
    return undefined;
  }
}

/** The flows a build provides; the default is every name the registry must implement (mapping/types.ts). */
export type KnownFlows = ReadonlySet<string>;
const allFlows: KnownFlows = new Set(flowNames);

export function checkMapping(
  m: LoadedMapping | LoadedNotify,
  registry: SchemaRegistry,
  flows: KnownFlows = allFlows,
): Problem[] {
  const problems: Problem[] = [];
  const doc = m.doc;
  const at = (pointer: string, message: string) =>
    problems.push({ file: m.file, line: m.source.lineOf(pointer), pointer, message });
  const notify = doc.flow === 'notify' ? doc.notify : undefined;
  const inbound = doc.flow === 'notify' ? undefined : doc.inbound;
  const inSchema = notify?.payload_schema ?? inbound!.schema;
  if (doc.flow !== 'notify' && !flows.has(doc.flow)) at('/flow', `flow "${doc.flow}" is not available`);
  const inDialect = inbound && dialectOrProblem(inbound.dialect, m, '/inbound/dialect', problems);
  const target = doc.target;
  const outDialect = target ? dialectOrProblem(target.dialect, m, '/target/dialect', problems) : undefined;
  for (const [ptr, id] of [
    ['/inbound/schema', inbound?.schema],
    ['/inbound/answer_schema', inbound?.answer_schema],
    ['/notify/payload_schema', notify?.payload_schema],
    ['/target/answer_schema', target?.answer_schema],
    ...(doc.branches ?? []).map((b, i) => [`/branches/${i}/schema`, b.schema] as const),
  ] as const) {
    if (id && !registry.has(id)) at(ptr, `unknown schema "${id}"`);
  }
  // The declared idempotency key and claimed codes are fields of the inbound message.
  const idem = inbound?.idempotency_key;
  for (const [ptr, field] of [
    ['/inbound/idempotency_key', typeof idem === 'string' ? idem : idem?.field],
    ['/inbound/claims/each', inbound?.claims?.each],
  ] as const) {
    if (field && registry.has(inSchema) && !registry.hasPath(inSchema, field))
      at(ptr, `"${field}" is not a field of ${inSchema}`);
  }
  // The refusals a valid message may get (generated contract checks) are catalog codes.
  (inbound?.refusals ?? []).forEach((code, i) => {
    if (!(cbCodes as readonly string[]).includes(code))
      at(`/inbound/refusals/${i}`, `"${code}" is not an error code of the catalog (docs/errors.md)`);
  });
  const provided = doc.flow === 'notify' ? notifyContext : (doc.provided ?? []);
  const vars = new Set(['now', ...Object.keys(doc.vars ?? {}), ...provided]);

  const checkPath = (path: string, ptr: string, allowUpstream: boolean) => {
    const [root, ...rest] = splitPath(path);
    const sub = rest.join('.');
    switch (root) {
      case 'in':
        if (registry.has(inSchema) && !registry.hasPath(inSchema, sub)) {
          at(ptr, `source path ${path}: "${sub}" is not a field of ${inSchema}`);
        }
        break;
      case 'upstream':
        if (!allowUpstream)
          at(ptr, `source path ${path}: the upstream answer is only available in answer.data`);
        else if (
          target?.answer_schema &&
          registry.has(target.answer_schema) &&
          !registry.hasPath(target.answer_schema, sub)
        ) {
          at(ptr, `source path ${path}: "${sub}" is not a field of ${target.answer_schema}`);
        }
        break;
      case 'stock':
        if (!stockFields.includes(rest[0]))
          at(ptr, `source path ${path}: stock entries have no "${rest[0]}"`);
        break;
      case 'ledger':
        if (notify) at(ptr, `source path ${path}: a notify mapping reads its payload (in.*), not the ledger`);
        else if (!(ledgerFields as readonly string[]).includes(rest[0]))
          at(
            ptr,
            `source path ${path}: ledger records have no "${rest[0]}" (known: ${ledgerFields.join(', ')})`,
          );
        break;
      case 'partner':
        if (!(rest[0] === 'id' || (rest[0] === 'defaults' && rest.length === 2)))
          at(ptr, `source path ${path}: use partner.id or partner.defaults.<key>`);
        break;
      case 'ctx':
        if (!vars.has(rest[0]))
          at(ptr, `source path ${path}: no var "${rest[0]}" (declared: ${[...vars].join(', ')})`);
        break;
      default:
        at(ptr, `source path ${path}: unknown root "${root}"`);
    }
  };
  const checkExprs = (
    exprs: Record<string, Expression> | undefined,
    base: string,
    allowUpstream: boolean,
  ) => {
    for (const [k, e] of Object.entries(exprs ?? {})) {
      const paths: string[] = [];
      collectPaths(e, paths);
      for (const p of paths) checkPath(p, `${base}/${k}`, allowUpstream);
    }
  };
  if (doc.flow !== 'notify' && doc.ledger) checkPath(doc.ledger.coupon, '/ledger/coupon', false);
  checkExprs(doc.vars, '/vars', false);
  checkExprs(doc.answer?.data, '/answer/data', true);
  (doc.branches ?? []).forEach((b, i) => {
    for (const p of Object.keys(b.when ?? {})) checkPath(p, `/branches/${i}/when`, false);
    checkExprs(b.fields, `/branches/${i}/fields`, false);
    const action = b.action ?? 'call';
    if (notify && action !== 'call')
      at(`/branches/${i}/action`, `branch ${b.name}: a notify mapping's branches deliver (action: call)`);
    if (action === 'call') {
      if (!target) at(`/branches/${i}`, `branch ${b.name} calls an upstream but the mapping has no target`);
      if (!b.schema)
        at(`/branches/${i}`, `branch ${b.name}: a calling branch needs the schema of its outbound message`);
      else if (registry.has(b.schema) && outDialect) {
        const produced = new Set([
          ...Object.keys(b.fields ?? {}).map((k) => k.split('.')[0]),
          ...commonFields(outDialect, target?.encoding ?? 'form'),
        ]);
        for (const req of registry.required(b.schema)) {
          if (!produced.has(req))
            at(
              `/branches/${i}/fields`,
              `branch ${b.name}: required field "${req}" of ${b.schema} is not produced`,
            );
        }
        const known = new Set(registry.properties(b.schema));
        for (const f of Object.keys(b.fields ?? {}).map((k) => k.split('.')[0])) {
          if (known.size > 0 && !known.has(f))
            at(`/branches/${i}/fields/${f}`, `branch ${b.name}: "${f}" is not a field of ${b.schema}`);
        }
      }
    }
    if (action === 'enqueue' && !b.enqueue)
      at(`/branches/${i}`, `branch ${b.name}: an enqueueing branch needs enqueue.kind and enqueue.v`);
    if (b.enqueue) checkPath(b.enqueue.dedup, `/branches/${i}/enqueue/dedup`, false);
    if (action === 'reject' && (!b.error || !(cbCodes as string[]).includes(b.error.cb_code))) {
      at(
        `/branches/${i}/error`,
        `branch ${b.name}: a rejecting branch needs error.cb_code, one of the catalog codes`,
      );
    }
  });
  const sources = m.codeSources;
  const table = sources.table;
  if (table && outDialect && table.doc.dialect !== outDialect.name)
    at(
      '/answer/codes_from',
      `code table ${table.name} holds ${table.doc.dialect} codes, but this mapping's target is ${outDialect.name}`,
    );
  const caller = inDialect?.name;
  for (const [key, entry] of Object.entries(doc.answer?.codes ?? {})) {
    // An entry from the shared table is reported at its row, naming the mapping that reads it.
    const fromTable = table !== undefined && sources.origin[key] === 'table';
    const atEntry = (sub: string, message: string) => {
      if (!fromTable) return at(`/answer/codes/${key}${sub}`, message);
      const row = `/codes/${key}${sub === '/code' && caller ? `/callers/${caller}` : ''}${sub}`;
      problems.push({
        file: table.file,
        line: table.source.lineOf(row),
        pointer: row,
        message: `${message} (read by ${m.file})`,
      });
    };
    if (!specialCodes.has(key) && outDialect && !(key in outDialect.knownAnswerCodes)) {
      atEntry(
        '',
        `${outDialect.name} code "${key}" is not a known ${outDialect.name} answer code (known: ${Object.keys(outDialect.knownAnswerCodes).join(', ')})`,
      );
    }
    if (notify && (entry.code !== undefined || entry.status !== undefined))
      atEntry(
        '',
        'a notify mapping answers nobody: an entry is success: true, or retry: true|false with a message',
      );
    else if (!notify && entry.success === undefined && entry.code === undefined)
      atEntry(
        '',
        fromTable
          ? `an entry needs success: true or a code: the row has no callers.${caller ?? '?'} entry`
          : 'an entry needs success: true or a code',
      );
    if (entry.code !== undefined && inDialect) {
      const known = new Set([
        ...Object.keys(inDialect.knownAnswerCodes),
        ...Object.values(inDialect.codes).map(String),
      ]);
      if (!known.has(String(entry.code)))
        atEntry('/code', `${inDialect.name} code ${entry.code} is not a known ${inDialect.name} code`);
    }
  }
  // (a table that did not load is reported at the table, not as every code it would hold)
  const tableLoaded = doc.answer?.codes_from === undefined || table !== undefined;
  if (target && outDialect && doc.answer?.codes && tableLoaded) {
    // A code the upstream is known to answer must be decided, not left to `default`.
    const missing = platformCodes(outDialect).filter((c) => !(c in doc.answer!.codes!));
    if (missing.length > 0)
      at(
        doc.answer.codes_from !== undefined ? '/answer/codes_from' : '/answer/codes',
        `${outDialect.name} code${missing.length > 1 ? 's' : ''} ${missing.join(', ')} known to the ${outDialect.name} dialect ${missing.length > 1 ? 'are' : 'is'} absent from this mapping's code table${table ? ` (codes_from: ${table.name}, ${table.file})` : ''}: ${missing.length > 1 ? 'they' : 'it'} would fall through to default`,
      );
  }
  return problems;
}

/** Each enqueueing branch names a notify kind@v that exists, and produces exactly its payload fields. */
function checkEnqueues(set: MappingSet, registry: SchemaRegistry): Problem[] {
  const problems: Problem[] = [];
  const kinds = new Map(set.notify.map((n) => [`${n.doc.notify.kind}@${n.doc.notify.v}`, n.doc.notify]));
  for (const m of set.mappings) {
    (m.doc.branches ?? []).forEach((b, i) => {
      if (!b.enqueue) return;
      const at = (pointer: string, message: string) =>
        problems.push({ file: m.file, line: m.source.lineOf(pointer), pointer, message });
      const key = `${b.enqueue.kind}@${b.enqueue.v}`;
      const kind = kinds.get(key);
      if (!kind) {
        at(
          `/branches/${i}/enqueue`,
          `branch ${b.name}: no notify mapping delivers ${key} (known: ${[...kinds.keys()].join(', ')})`,
        );
        return;
      }
      if (!registry.has(kind.payload_schema)) return;
      const produced = new Set(Object.keys(b.fields ?? {}).map((k) => k.split('.')[0]));
      for (const req of registry.required(kind.payload_schema)) {
        if (!produced.has(req))
          at(
            `/branches/${i}/fields`,
            `branch ${b.name}: required field "${req}" of the ${key} payload is not produced`,
          );
      }
      const known = new Set(registry.properties(kind.payload_schema));
      for (const f of produced) {
        if (!known.has(f))
          at(`/branches/${i}/fields/${f}`, `branch ${b.name}: "${f}" is not a field of the ${key} payload`);
      }
    });
  }
  return problems;
}

export function checkMappingSet(
  set: MappingSet,
  registry: SchemaRegistry,
  flows: KnownFlows = allFlows,
): Problem[] {
  return [
    ...[...set.mappings, ...set.notify].flatMap((m) => checkMapping(m, registry, flows)),
    ...checkEnqueues(set, registry),
  ];
}
