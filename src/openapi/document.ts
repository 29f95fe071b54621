/**
 * couponbridge's inbound API as an OpenAPI 3.1 document, generated from the loaded mappings and
 * the message schemas: one path per inbound route with its methods; the request as its dialect's
 * codec reads it (Tencent: a JSON body; P云: a form body, JSON accepted; Dianping: a query string
 * on GET, a form body on POST), the message schema with the seed's field descriptions; and the
 * answers — the route's success envelope, and per HTTP status the error envelope restricted to the
 * codes that status can carry: the dialect's adapter codes (src/dialects/<d>/codes.ts,
 * docs/errors.md) and the mapping's code-table codes. `couponbridge openapi` prints it and the
 * server serves it at GET /openapi.json.
 */
import { errorCatalog, cbCodes, type CbCode } from '../errors';
import type { Dialect } from '../dialects/types';
import type { Route } from '../runtime';
import type { SchemaRegistry } from '../schema/registry';
import type { SchemaNode } from '../schema/navigate';
import { collectComponents, componentRef, rewriteNode, topFields } from './schemas';

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

/** How each dialect's codec takes a request body (src/dialects/<d>/codec.ts). */
const bodyTypes: Record<string, string[]> = {
  tencent: [JSON_TYPE],
  pyun: [FORM, JSON_TYPE],
  dianping: [FORM],
};

/** The HTTP status a code-table key answers with when its entry names none (stages/answer.ts). */
const transportStatus: Record<string, CbCode> = {
  timeout: 'CB_UPSTREAM_TIMEOUT',
  unreachable: 'CB_UPSTREAM_UNREACHABLE',
  http_error: 'CB_UPSTREAM_BAD_ANSWER',
  unreadable: 'CB_UPSTREAM_BAD_ANSWER',
};

/** The code as the dialect's envelope writes it on the wire (a number for Tencent, a string elsewhere). */
function wireCode(d: Dialect, code: string | number): string | number {
  const answer = d.envelope.error({ code, message: '' });
  return ((answer.json ?? JSON.parse(answer.body)) as { code: string | number }).code;
}

interface ErrorCase {
  code: string | number;
  meaning: string;
}

/** Every error a route can answer, grouped by HTTP status. */
function errorsByStatus(route: Route): Map<number, ErrorCase[]> {
  const d = route.dialect;
  const byStatus = new Map<number, Map<string | number, string[]>>();
  const add = (status: number, code: string | number, meaning: string): void => {
    const codes = byStatus.get(status) ?? new Map<string | number, string[]>();
    byStatus.set(status, codes);
    const meanings = codes.get(code) ?? [];
    if (!meanings.includes(meaning)) meanings.push(meaning);
    codes.set(code, meanings);
  };
  for (const cb of cbCodes) {
    add(errorCatalog[cb].status, wireCode(d, d.codes[cb]), `${cb}: ${errorCatalog[cb].message}`);
  }
  for (const [key, entry] of Object.entries(route.doc.answer?.codes ?? {})) {
    if (entry.success || entry.code === undefined) continue;
    const status = entry.status ?? (key in transportStatus ? errorCatalog[transportStatus[key]].status : 200);
    const upstream = route.target?.dialect.name ?? 'the upstream';
    const what =
      key in transportStatus
        ? `${upstream} ${key.replace('_', ' ')}`
        : key === 'default'
          ? `${upstream} answered any other code`
          : `${upstream} answered ${key}`;
    add(status, wireCode(d, entry.code), `${what} (code table of ${route.id})`);
  }
  const out = new Map<number, ErrorCase[]>();
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const codes = [...byStatus.get(status)!.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
    out.set(
      status,
      codes.map(([code, meanings]) => ({ code, meaning: meanings.join('; ') })),
    );
  }
  return out;
}

function errorSchema(route: Route, cases: ErrorCase[]): SchemaNode {
  const common = `${route.dialect.name}/common.response`;
  const code: SchemaNode = { enum: cases.map((c) => c.code) };
  const properties: SchemaNode =
    route.dialect.name === 'dianping' ? { status: { const: 'error' }, code } : { code };
  return {
    allOf: [{ $ref: componentRef(common) }],
    required: ['code', 'message'],
    properties,
  };
}

function errorDescription(cases: ErrorCase[]): string {
  return ['Error envelope. Codes:', ...cases.map((c) => `- \`${c.code}\` — ${c.meaning}`)].join('\n');
}

function responses(route: Route): Record<string, unknown> {
  const success = { $ref: componentRef(route.doc.inbound.answer_schema) };
  const out: Record<string, unknown> = {};
  for (const [status, cases] of errorsByStatus(route)) {
    const error = errorSchema(route, cases);
    out[String(status)] =
      status === 200
        ? {
            description: `Success envelope, or an error envelope carrying one of the codes listed.\n\n${errorDescription(cases)}`,
            content: { [JSON_TYPE]: { schema: { anyOf: [success, error] } } },
          }
        : { description: errorDescription(cases), content: { [JSON_TYPE]: { schema: error } } };
  }
  if (!out['200'])
    out['200'] = { description: 'Success envelope', content: { [JSON_TYPE]: { schema: success } } };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => Number(a) - Number(b)));
}

function queryParameters(registry: SchemaRegistry, schemaId: string): unknown[] {
  return topFields(registry, schemaId).map((f) => {
    const schema = rewriteNode(f.node, f.doc, new Set());
    const description = typeof f.node.description === 'string' ? f.node.description : undefined;
    return {
      name: f.name,
      in: 'query',
      required: f.required,
      ...(description ? { description } : {}),
      schema,
    };
  });
}

function operation(registry: SchemaRegistry, route: Route, method: string): Record<string, unknown> {
  const schemaId = route.doc.inbound.schema;
  const schema = registry.schema(schemaId);
  const signedBy =
    route.doc.inbound.caller === 'upstream'
      ? `${route.dialect.name} itself, with couponbridge's ${route.dialect.name} app credentials`
      : `a configured ${route.dialect.name} partner`;
  const op: Record<string, unknown> = {
    operationId: `${route.id}.${method.toLowerCase()}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
    summary: typeof schema.title === 'string' ? `${route.id}: ${schema.title}` : route.id,
    description: [
      typeof schema.description === 'string' ? schema.description : '',
      `Signed by ${signedBy} (${route.dialect.defaultScheme} by default); mapping ${route.id} (flow ${route.doc.flow}).`,
    ]
      .filter((s) => s !== '')
      .join('\n\n'),
    tags: [route.dialect.name],
    responses: responses(route),
  };
  if (method === 'GET') {
    op.parameters = queryParameters(registry, schemaId);
  } else {
    op.requestBody = {
      required: true,
      content: Object.fromEntries(
        bodyTypes[route.dialect.name].map((t) => [t, { schema: { $ref: componentRef(schemaId) } }]),
      ),
    };
  }
  return op;
}

export interface OpenApiInput {
  registry: SchemaRegistry;
  routes: Iterable<Route>;
  version: string;
}

export function openapiDocument({ registry, routes, version }: OpenApiInput): Record<string, unknown> {
  const sorted = [...routes].sort((a, b) => a.doc.inbound.path.localeCompare(b.doc.inbound.path));
  const paths: Record<string, Record<string, unknown>> = {};
  const roots = new Set<string>();
  for (const route of sorted) {
    const item = (paths[route.doc.inbound.path] ??= {});
    for (const method of [...route.methods].sort()) {
      item[method.toLowerCase()] = operation(registry, route, method);
    }
    roots.add(route.doc.inbound.schema);
    roots.add(route.doc.inbound.answer_schema);
    roots.add(`${route.dialect.name}/common.response`);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'couponbridge inbound API',
      version,
      description:
        "The routes couponbridge accepts, generated from its mapping files and message schemas. Every answer is in the caller's dialect envelope; error codes are documented in docs/errors.md.",
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...new Set(sorted.map((r) => r.dialect.name))].sort().map((name) => ({ name })),
    paths,
    components: { schemas: collectComponents(registry, roots) },
  };
}
