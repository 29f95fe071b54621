/**
 * The fuzz harness (fast-check) shared by the bounded suite in `npm test` and `npm run fuzz`:
 * random and mutated requests on every inbound route and the P云 push, sent over HTTP on loopback
 * to a couponbridge stack with the sandbox upstreams. Every answer must arrive (no hang), be the
 * route's dialect envelope, never be a 500 (an unexpected exception) or a bare error, and a
 * correctly signed message whose business content was altered after signing must never succeed.
 */
import fc from 'fast-check';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { getDialect } from '../../src/dialects';
import { encodeForm } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { signedPyunPush } from '../../src/sandbox';
import { CbError } from '../../src/errors';
import { newExchange } from '../../src/pipeline/context';
import { runFlow } from '../../src/flows/registry';
import { failed } from '../../src/pipeline/translate';
import { errorAnswer } from '../../src/pipeline/stages/answer';
import { recordExchange } from '../../src/ledger/journal';
import { creds, pushedCoupon, spCreds, startStack, type Stack } from '../support/stack';

export interface Target {
  id: string;
  dialect: 'tencent' | 'dianping' | 'pyun';
  path: string;
  methods: string[];
  base: Record<string, unknown>;
}

const posCreds: Credentials = { keyId: creds.pos.app_key, secret: creds.pos.secret, scheme: 'dianping-sha1' };
const COMMON = new Set(['api_key', 'seq_id', 'timestamp', 'nonce', 'sign', 'app_id', 'sign_type']);
const seeds = join(__dirname, '..', 'fixtures', 'seeds');

function seedFields(schemaId: string): Record<string, unknown> {
  const corrected = join(seeds, `${schemaId}.corrected.json`);
  const file = existsSync(corrected) ? corrected : join(seeds, `${schemaId}.json`);
  const fields = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(fields).filter(([k]) => !COMMON.has(k)));
  // the demo catalogue's stock, so that valid messages reach the flows' business rules
  if ('stock_id' in out) out.stock_id = 'cb-demo-001';
  return out;
}

const dianpingBase = (): Record<string, unknown> => ({
  couponCode: 'DP-FUZZ-1',
  shopName: '肯德基',
  consumeTime: 1618994563000,
  orderId: 'order-fuzz-1',
  orderAmount: '10.00',
  payAmount: '8.00',
  freightFee: '0.00',
  attributes: '{}',
  comments: 'mobile 13911112222',
});

const pushBase = (): Record<string, unknown> => ({
  park_uuid: '49f0cc52-e8c7-41e3-b54d-af666b8cc11a',
  park_name: 'P云支付体验-停车场',
  parking_serial: '591668151763415041',
  pay_serial: 'PS-FUZZ-1',
  pay_value: '100',
  pay_time: '1618994563000',
  plate: '川A660P1',
  channel: '200102',
  identity: '5aeV05nlt6/ig4LplITisYg=',
  discounts: '[]',
  mcoupons: JSON.stringify([pushedCoupon('G-FUZZ-1', 'MC1')]),
});

/** Every inbound route of the stack's table with a valid message to start from. */
export function targetsOf(stack: Stack): Target[] {
  return [...stack.running.rt.table.byId.values()]
    .map((r) => {
      const dialect = r.dialect.name as Target['dialect'];
      const base =
        dialect === 'tencent'
          ? seedFields(r.doc.inbound.schema)
          : dialect === 'dianping'
            ? dianpingBase()
            : pushBase();
      return { id: r.id, dialect, path: r.doc.inbound.path, methods: r.methods, base };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The wire form of a correctly signed message (signed now, with a fresh nonce). */
export function signed(t: Target, fields: Record<string, unknown>): { body: string; contentType: string } {
  if (t.dialect === 'tencent') {
    const b = getDialect('tencent').buildRequest(
      { method: 'POST', path: t.path, encoding: 'json' },
      fields,
      spCreds,
    );
    return { body: b.body!, contentType: 'application/json' };
  }
  if (t.dialect === 'dianping') {
    const b = getDialect('dianping').buildRequest(
      { method: 'POST', path: t.path, encoding: 'form' },
      fields,
      posCreds,
    );
    return { body: b.body!, contentType: 'application/x-www-form-urlencoded; charset=UTF-8' };
  }
  const body = signedPyunPush(fields, creds.pyunUpstream.app_id, creds.pyunUpstream.app_secret);
  return { body, contentType: 'application/x-www-form-urlencoded; charset=UTF-8' };
}

/** Parses a wire body back into its fields (after signing), to alter it without re-signing. */
function wireFields(t: Target, body: string): Record<string, unknown> {
  if (t.dialect === 'tencent') return JSON.parse(body) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(body));
}

function toWire(t: Target, fields: Record<string, unknown>): string {
  if (t.dialect === 'tencent') return JSON.stringify(fields);
  return encodeForm(
    Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ),
  );
}

// ——— arbitraries ———

const oddStrings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'NaN',
    'null',
    'true',
    '[]',
    '{}',
    '__proto__',
    '13911112222',
    '%ZZ',
    '\u0000',
    '\ud800',
  ),
  // long strings: mostly around the seed maxima, rarely past the body limit (costly to send)
  fc
    .oneof(
      { weight: 20, arbitrary: fc.integer({ min: 16, max: 600 }) },
      { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }) },
    )
    .map((n) => 'x'.repeat(n)),
);

const deep = fc
  .integer({ min: 1, max: 200 })
  .map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown);

const protoValue = fc
  .constantFrom('__proto__', 'constructor', 'prototype')
  .map((k) => JSON.parse(`{"${k}":{"polluted":1}}`) as unknown);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: oddStrings },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: protoValue },
);

const fieldName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'sign',
    'api_key',
    'seq_id',
    'nonce',
    'timestamp',
    'app_id',
    'appkey',
  ),
);

/** Changes applied to a message's fields before it is signed: the signature is valid. */
const noEdits = {
  set: {} as Record<string, unknown>,
  drop: [] as number[],
  extra: [] as Array<[string, unknown]>,
};
// a third of the messages are the valid base itself, so that tampering alters messages that would succeed
const fieldEdits = fc.oneof(
  { weight: 1, arbitrary: fc.constant(noEdits) },
  {
    weight: 2,
    arbitrary: fc.record({
      set: fc.dictionary(fc.string({ minLength: 1, maxLength: 16 }), anyValue, { maxKeys: 3 }),
      drop: fc.array(fc.nat(20), { maxLength: 3 }),
      extra: fc.array(fc.tuple(fieldName, anyValue), { maxLength: 2 }),
    }),
  },
);

/** Alterations of a signed message that change its business content: it must never succeed. */
const tamper = fc.oneof(
  fc.record({
    kind: fc.constant('change' as const),
    index: fc.nat(30),
    value: fc.string({ minLength: 1, maxLength: 20 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), index: fc.nat(30) }),
  fc.record({
    kind: fc.constant('add' as const),
    name: fc.string({ minLength: 1, maxLength: 12 }),
    value: fc.string({ minLength: 1, maxLength: 20 }),
  }),
);

/** Byte-level damage to a signed message: any answer but a crash, a hang or a bare error. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('invalid-utf8' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    index: fc.nat(30),
    value: fc.string({ maxLength: 10 }),
  }),
  fc.record({ kind: fc.constant('empty' as const) }),
);

const contentTypes = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=gbk',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  ';;;',
);

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

export type FuzzCase =
  | { kind: 'signed'; target: number; edits: ValueOf<typeof fieldEdits> }
  | {
      kind: 'tampered';
      target: number;
      edits: ValueOf<typeof fieldEdits>;
      tamper: ValueOf<typeof tamper>;
    }
  | {
      kind: 'damaged';
      target: number;
      damage: ValueOf<typeof damage>;
      contentType: string | undefined | null;
    }
  | {
      kind: 'random';
      target: number;
      method: string;
      contentType: string | undefined;
      body: Uint8Array | string;
      query: string;
    };

export function fuzzCase(targets: number): fc.Arbitrary<FuzzCase> {
  const target = fc.nat(targets - 1);
  return fc.oneof(
    fc.record({ kind: fc.constant('signed' as const), target, edits: fieldEdits }),
    fc.record({ kind: fc.constant('tampered' as const), target, edits: fieldEdits, tamper }),
    fc.record({
      kind: fc.constant('damaged' as const),
      target,
      damage,
      contentType: fc.option(contentTypes, { nil: null }),
    }),
    fc.record({
      kind: fc.constant('random' as const),
      target,
      method: fc.constantFrom('POST', 'GET', 'PUT', 'DELETE'),
      contentType: contentTypes,
      body: fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.json({ maxDepth: 4 }),
        fc.string({ maxLength: 300 }),
        deep.map((v) => JSON.stringify({ a: v })),
      ),
      query: fc.oneof(
        fc.constant(''),
        fc.webQueryParameters(),
        fc.string({ maxLength: 50 }).map(encodeURIComponent),
      ),
    }),
  );
}

function applyEdits(base: Record<string, unknown>, e: ValueOf<typeof fieldEdits>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  const keys = Object.keys(out);
  for (const i of e.drop) if (keys.length > 0) delete out[keys[i % keys.length]];
  for (const [k, v] of Object.entries(e.set)) {
    const existing = keys.length > 0 ? keys[k.length % keys.length] : k;
    out[existing] = v;
  }
  for (const [k, v] of e.extra)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** The signed wire text of `fields` altered so that its business content differs, or undefined. */
function tampered(t: Target, body: string, m: ValueOf<typeof tamper>): string | undefined {
  const fields = wireFields(t, body);
  const keys = Object.keys(fields).filter((k) => k !== 'sign');
  if (m.kind === 'add') {
    if (m.name in fields || m.name === 'sign' || m.value.trim() === '') return undefined;
    fields[m.name] = m.value;
  } else {
    if (keys.length === 0) return undefined;
    const key = keys[m.index % keys.length];
    const old = fields[key];
    if (m.kind === 'remove') {
      if (old === null || old === '' || old === undefined) return undefined;
      delete fields[key];
    } else {
      const oldText = typeof old === 'string' ? old : JSON.stringify(old);
      if (m.value === oldText || m.value.trim() === '') return undefined;
      fields[key] = m.value;
    }
  }
  return toWire(t, fields);
}

function damaged(t: Target, body: string, d: ValueOf<typeof damage>): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  switch (d.kind) {
    case 'truncate':
      return bytes.subarray(0, d.at % Math.max(bytes.length, 1));
    case 'flip': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[d.at % copy.length] = d.byte;
      return copy;
    }
    case 'invalid-utf8': {
      const at = d.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff]), bytes.subarray(at)]);
    }
    case 'duplicate': {
      const keys = Object.keys(wireFields(t, body));
      const key = keys[d.index % Math.max(keys.length, 1)] ?? 'k';
      if (t.dialect === 'tencent')
        return Buffer.from(`{${JSON.stringify(key)}:${JSON.stringify(d.value)},${body.slice(1)}`);
      return Buffer.from(`${body}&${encodeURIComponent(key)}=${encodeURIComponent(d.value)}`);
    }
    case 'empty':
      return Buffer.alloc(0);
  }
}

export interface Outcome {
  status: number;
  body: string;
}

/** Why an answer breaks the rules for its route, or undefined when it is acceptable. */
export function violation(t: Target, res: Outcome, mustNotSucceed: boolean): string | undefined {
  return judge(t, res, mustNotSucceed).why;
}

function judge(t: Target, res: Outcome, mustNotSucceed: boolean): { why?: string; success?: boolean } {
  const bad = (why: string) => ({ why });
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return bad(`answer is not JSON (HTTP ${res.status})`);
  }
  if (typeof json !== 'object' || json === null) return bad('answer is not a JSON object');
  const a = json as Record<string, unknown>;
  let success: boolean;
  if (t.dialect === 'tencent') {
    if (!Number.isInteger(a.code) || typeof a.message !== 'string') return bad('not a Tencent envelope');
    success = a.code === 0;
  } else if (t.dialect === 'dianping') {
    if (a.status === 'success') success = true;
    else if (a.status === 'error' && typeof a.code === 'string' && typeof a.message === 'string')
      success = false;
    else return bad('not a Dianping envelope');
  } else {
    if (typeof a.code !== 'string' || typeof a.message !== 'string') return bad('not a P云 envelope');
    success = a.code === '1001';
  }
  if (res.status === 500) return bad(`internal error: ${res.body.slice(0, 300)}`);
  if (success && res.status !== 200) return bad(`success with HTTP ${res.status}`);
  if (!success && res.status < 400) return bad(`error envelope with HTTP ${res.status}`);
  if (mustNotSucceed && success) return bad('an altered signed message was accepted');
  return { success };
}

const ANSWER_TIMEOUT_MS = 10_000;

/** How a case reaches couponbridge; undefined when the transport cannot carry that request. */
export type Transport = ((
  method: string,
  path: string,
  query: string,
  headers: Record<string, string>,
  body: Buffer,
) => Promise<Outcome | undefined>) & {
  /** Only routed methods reach it: a random case's other method is replaced by a routed one. */
  routedOnly?: boolean;
};

/** Over HTTP on loopback: the whole server (body reading, routing, fallback answers). */
export function httpTransport(stack: Stack): Transport {
  return async (method, path, query, headers, body) => {
    const res = await request(`${stack.url}${path}${query ? `?${query}` : ''}`, {
      method: method as 'POST',
      headers,
      body: method === 'GET' ? undefined : body,
      headersTimeout: ANSWER_TIMEOUT_MS,
      bodyTimeout: ANSWER_TIMEOUT_MS,
    });
    return { status: res.statusCode, body: await res.body.text() };
  };
}

/**
 * Straight into the pipeline (the flow the server would run, journal included), for long runs:
 * several times cheaper than HTTP. Unrouted methods (the server's fallback answers) are left to HTTP runs.
 */
export function pipelineTransport(stack: Stack): Transport {
  const rt = stack.running.rt;
  const send: Transport = async (method, path, query, headers, body) => {
    const route = rt.table.routes.get(`${method} ${path}`);
    if (!route) return undefined;
    if (body.length > rt.config.server.body_limit_bytes) {
      const a = errorAnswer(route.dialect, new CbError('CB_BODY_TOO_LARGE'));
      return { status: a.status, body: a.body };
    }
    const x = newExchange(rt, route, { method, path, query, headers, body });
    let answer;
    try {
      answer = await runFlow(x);
    } catch (e) {
      answer = failed(x, e);
    }
    recordExchange(rt, x);
    return { status: answer.status, body: answer.body };
  };
  send.routedOnly = true;
  return send;
}

/**
 * Runs one case; throws (a property failure) with the reason when the answer breaks the rules.
 * Returns `<kind>:<success|error|skipped>` for the run's tally.
 */
export async function runCase(send: Transport, targets: Target[], c: FuzzCase): Promise<string> {
  const t = targets[c.target];
  let res: Outcome | undefined;
  let mustNotSucceed = false;
  if (c.kind === 'random') {
    const headers: Record<string, string> = c.contentType ? { 'content-type': c.contentType } : {};
    const method =
      send.routedOnly && !t.methods.includes(c.method)
        ? t.methods[c.method.length % t.methods.length]
        : c.method;
    res = await send(method, t.path, c.query, headers, Buffer.from(c.body));
    if (res && !t.methods.includes(method)) {
      // an unrouted method answers from the fallback in the path's dialect
      assert(res.status === 405 || res.status === 404, `method ${c.method}: HTTP ${res.status}`);
    }
  } else {
    const fields = c.kind === 'damaged' ? t.base : applyEdits(t.base, c.edits);
    let wire: { body: string; contentType: string };
    try {
      wire = signed(t, fields);
    } catch (e) {
      // a lone surrogate cannot be percent-encoded: no client can send that form
      if (e instanceof URIError) return `${c.kind}:skipped`;
      throw e;
    }
    let body: Buffer | string = wire.body;
    let contentType: string | undefined = wire.contentType;
    if (c.kind === 'tampered') {
      const altered = tampered(t, wire.body, c.tamper);
      if (altered === undefined) return `${c.kind}:skipped`;
      body = altered;
      mustNotSucceed = true;
    } else if (c.kind === 'damaged') {
      body = damaged(t, wire.body, c.damage);
      if (c.contentType !== null) contentType = c.contentType;
      // a damaged body may still mean the same message (e.g. a flipped byte inside the sign's case)
    }
    res = await send(
      'POST',
      t.path,
      '',
      contentType ? { 'content-type': contentType } : {},
      Buffer.from(body),
    );
  }
  if (res === undefined) return `${c.kind}:skipped`;
  const { why, success } = judge(t, res, mustNotSucceed);
  assert(why === undefined, `${t.id}: ${why}`);
  return `${c.kind}:${success ? 'success' : 'error'}`;
}

function assert(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

export interface FuzzRun {
  runs: number;
  seed: number;
  ms: number;
  /** How many cases of each kind got a success, an error, or were not sent. */
  tally: Record<string, number>;
}

/** A stack for fuzzing: a small journal (pruned by the maintenance timer) so long runs stay bounded. */
export function startFuzzStack(): Promise<Stack> {
  return startStack({ extraYaml: 'journal: { max_age_days: 1, max_rows: 2000 }' });
}

/** Runs `runs` cases against a stack; fc.assert throws with the shrunk counterexample on a failure. */
export async function fuzz(
  stack: Stack,
  runs: number,
  seed: number,
  transport: 'http' | 'pipeline' = 'http',
): Promise<FuzzRun> {
  const targets = targetsOf(stack);
  const send = transport === 'http' ? httpTransport(stack) : pipelineTransport(stack);
  const started = performance.now();
  let n = 0;
  const tally: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(fuzzCase(targets.length), async (c) => {
      if (++n % 1000 === 0) stack.sandbox.clear();
      const label = await runCase(send, targets, c);
      tally[label] = (tally[label] ?? 0) + 1;
    }),
    { numRuns: runs, seed, includeErrorInReport: true },
  );
  return { runs, seed, ms: Math.round(performance.now() - started), tally };
}
