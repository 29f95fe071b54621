/**
 * Compiles a mapping document into plain functions, once, at load: expressions become
 * closures over pre-split paths, branches a first-match list, the code table a lookup.
 * Nothing here interprets YAML per request.
 */
import { compileGetter, isEmpty } from './paths';
import { converters, nowFormats } from './converters';
import type { BranchDoc, CodeEntryDoc, Expression, MappingDoc, NotifyDoc } from './types';

/** What expressions read: the inbound message, catalogue entry, partner, ledger record, upstream answer, vars. */
export interface MapContext {
  in: Record<string, unknown>;
  stock?: Record<string, unknown>;
  partner: { id: string; defaults: Record<string, unknown> };
  ledger?: Record<string, unknown>;
  upstream?: unknown;
  ctx: Record<string, unknown> & { now: Date };
}

export class MappingError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'MappingError';
  }
}

type Eval = (c: MapContext) => unknown;

function describe(e: Expression): string {
  if (typeof e === 'string') return e;
  if (e.from) return e.from;
  if (e.first) return e.first.map(describe).join(' | ');
  if (e.template) return `template "${e.template}"`;
  if ('const' in e) return `const ${JSON.stringify(e.const)}`;
  return 'expression';
}

export function compileTemplate(template: string): (c: MapContext) => string {
  const parts = template.split(/(\{[a-z]+(?:\.[A-Za-z0-9_[\]]+)+\})/);
  const fns = parts.map((p) => {
    if (p.startsWith('{') && p.endsWith('}')) {
      const get = compileGetter(p.slice(1, -1));
      return (c: MapContext) => {
        const v = get(c as unknown as Record<string, unknown>);
        return isEmpty(v) ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      };
    }
    return () => p;
  });
  return (c) => fns.map((f) => f(c)).join('');
}

/** Compiles one expression; the returned function yields undefined for "nothing". */
export function compileExpression(expr: Expression, field: string): Eval {
  const e = typeof expr === 'string' ? { from: expr } : expr;
  let source: Eval;
  if (e.from !== undefined) {
    const get = compileGetter(e.from);
    source = (c) => get(c as unknown as Record<string, unknown>);
  } else if (e.first !== undefined) {
    const alts = e.first.map((a, i) =>
      compileExpression(
        typeof a === 'string' ? { from: a, optional: true } : { ...a, optional: true },
        `${field}[first ${i}]`,
      ),
    );
    source = (c) => {
      for (const a of alts) {
        const v = a(c);
        if (!isEmpty(v)) return v;
      }
      return undefined;
    };
  } else if (e.template !== undefined) {
    source = compileTemplate(e.template);
  } else if ('const' in e) {
    const v = e.const;
    source = () => v;
  } else {
    source = () => undefined;
  }

  let fn = source;
  if (e.map) {
    const table = new Map(Object.entries(e.map));
    const hasDefault = 'map_default' in e;
    const fallback = e.map_default;
    const prev = fn;
    fn = (c) => {
      const v = prev(c);
      if (isEmpty(v)) return v;
      const key = String(v);
      if (table.has(key)) return table.get(key);
      if (hasDefault) return fallback;
      throw new MappingError(
        field,
        `value ${JSON.stringify(v)} is not in the value map (${[...table.keys()].join(', ')})`,
      );
    };
  }
  if (e.convert) {
    const conv = converters[e.convert];
    if (!conv) throw new MappingError(field, `unknown converter ${e.convert}`);
    const name = e.convert;
    const prev = fn;
    fn = (c) => {
      const v = prev(c);
      if (isEmpty(v)) return v;
      try {
        return conv(v);
      } catch (err) {
        throw new MappingError(field, `${name}(${describe(expr)}): ${(err as Error).message}`);
      }
    };
  }
  if ('default' in e) {
    const d = e.default;
    const prev = fn;
    fn = (c) => {
      const v = prev(c);
      return isEmpty(v) ? d : v;
    };
  }
  if (e.default_now) {
    const fmt = nowFormats[e.default_now];
    const prev = fn;
    fn = (c) => {
      const v = prev(c);
      return isEmpty(v) ? fmt(c.ctx.now) : v;
    };
  }
  if (!e.optional) {
    const prev = fn;
    const what = describe(expr);
    fn = (c) => {
      const v = prev(c);
      if (isEmpty(v)) throw new MappingError(field, `no value (from ${what})`);
      return v;
    };
  }
  return fn;
}

/**
 * Compiles a field set into one function producing the object (optional fields omitted when
 * empty). A dotted key (`fixed_normal_coupon.coupon_amount`) builds a nested object.
 */
export function compileFields(
  fields: Record<string, Expression> | undefined,
): (c: MapContext) => Record<string, unknown> {
  const entries = Object.entries(fields ?? {}).map(
    ([k, e]) => [k.split('.'), compileExpression(e, k)] as const,
  );
  return (c) => {
    const out: Record<string, unknown> = {};
    for (const [path, f] of entries) {
      const v = f(c);
      if (isEmpty(v)) continue;
      let target = out;
      for (let i = 0; i < path.length - 1; i++) {
        target = (target[path[i]] ??= {}) as Record<string, unknown>;
      }
      target[path[path.length - 1]] = v;
    }
    return out;
  };
}

export interface CompiledBranch {
  name: string;
  action: 'call' | 'record' | 'reject' | 'enqueue';
  enqueue?: { kind: string; v: number; dedup: string; per?: 'coupon' | 'partner' };
  schema?: string;
  error?: { cb_code: string; message?: string };
  ledgerState?: 'used' | 'expired' | 'invalid';
  matches(c: MapContext): boolean;
  build(c: MapContext): Record<string, unknown>;
  describeWhen: string;
}

export function compileBranch(b: BranchDoc): CompiledBranch {
  const conds = Object.entries(b.when ?? {}).map(([path, expected]) => {
    const get = compileGetter(path);
    const allowed = new Set((Array.isArray(expected) ? expected : [expected]).map(String));
    return (c: MapContext) => {
      const v = get(c as unknown as Record<string, unknown>);
      return !isEmpty(v) && allowed.has(String(v));
    };
  });
  return {
    name: b.name,
    action: b.action ?? 'call',
    schema: b.schema,
    error: b.error,
    enqueue: b.enqueue,
    ledgerState: b.ledger_state,
    matches: (c) => conds.every((f) => f(c)),
    build: compileFields(b.fields),
    describeWhen:
      Object.entries(b.when ?? {})
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
        .join(', ') || 'always',
  };
}

export interface CodeEntry extends CodeEntryDoc {
  /** The key that matched: the upstream code, or a special key. */
  key: string;
  render(vars: Record<string, unknown>): string | undefined;
}

export type SpecialCode = 'default' | 'http_error' | 'unreadable' | 'timeout' | 'unreachable';

export function compileCodeTable(
  codes: Record<string, CodeEntryDoc> | undefined,
): (code: string) => CodeEntry | undefined {
  const table = new Map<string, CodeEntry>();
  for (const [key, doc] of Object.entries(codes ?? {})) {
    const tpl = doc.message === undefined ? undefined : compileTemplate(doc.message);
    table.set(key, {
      ...doc,
      key,
      render: (vars) => (tpl ? tpl(vars as unknown as MapContext) : undefined),
    });
  }
  return (code) => table.get(code);
}

export interface CompiledMapping<D extends MappingDoc | NotifyDoc = MappingDoc> {
  doc: D;
  vars(c: MapContext): void;
  branches: CompiledBranch[];
  selectBranch(c: MapContext): CompiledBranch;
  answerData(c: MapContext): Record<string, unknown>;
  code(code: string): CodeEntry | undefined;
  /**
   * The entry an upstream outcome selects: an answer's code, else `default`; a transport outcome
   * (timeout, unreachable, http_error, unreadable) only its own key — it never falls to `default`.
   */
  codeFor(kind: 'answer' | Exclude<SpecialCode, 'default'>, code?: string): CodeEntry | undefined;
}

export function compileMapping<D extends MappingDoc | NotifyDoc>(doc: D): CompiledMapping<D> {
  const varFns = Object.entries(doc.vars ?? {}).map(
    ([k, e]) => [k, compileExpression(e, `vars.${k}`)] as const,
  );
  const branches = (doc.branches ?? []).map(compileBranch);
  const answerData = compileFields(doc.answer?.data);
  const code = compileCodeTable(doc.answer?.codes);
  return {
    doc,
    vars(c) {
      for (const [k, f] of varFns) c.ctx[k] = f(c);
    },
    branches,
    selectBranch(c) {
      for (const b of branches) if (b.matches(c)) return b;
      throw new MappingError(
        'branch',
        `no branch matches this message (${branches.map((b) => `${b.name}: ${b.describeWhen}`).join('; ')})`,
      );
    },
    answerData,
    code,
    codeFor: (kind, upstreamCode) =>
      kind === 'answer' ? (code(upstreamCode ?? '') ?? code('default')) : code(kind),
  };
}
