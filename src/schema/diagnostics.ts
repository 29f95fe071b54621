/**
 * Turns ajv errors into caller-facing diagnostics: a JSON pointer naming the field, the rule
 * (ajv keyword) and a precise message. `required` and `additionalProperties` errors point at the
 * missing or unknown property itself; enum errors list the allowed values; anyOf/oneOf branch
 * errors fold into one diagnostic listing the alternatives; `if` errors are dropped because the
 * failing then/else branch is reported on its own. Received values are never echoed: they may
 * be personal data (mobile_phone, plate).
 */
import type { ErrorObject } from 'ajv/dist/2020';

export interface Diagnostic {
  /** JSON pointer, e.g. "/coupons/0/coupon_id" or "/metadata (decoded)/k/value"; "" is the root. */
  path: string;
  rule: string;
  message: string;
}

export function escapePointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function literal(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function describe(e: ErrorObject, prefix: string): Diagnostic {
  const path = prefix + e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        path: `${path}/${escapePointerSegment(String(p.missingProperty))}`,
        rule: e.keyword,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        path: `${path}/${escapePointerSegment(String(p.additionalProperty))}`,
        rule: e.keyword,
        message: 'is not allowed here (unknown property)',
      };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(literal).join(', ');
      return { path, rule: e.keyword, message: `must be equal to one of the allowed values (${allowed})` };
    }
    case 'const':
      return { path, rule: e.keyword, message: `must be equal to ${literal(p.allowedValue)}` };
    case 'type':
      return { path, rule: e.keyword, message: `must be ${String(p.type).split(',').join(' or ')}` };
    case 'pattern': {
      const hint = typeof e.parentSchema?.description === 'string' ? ` — ${e.parentSchema.description}` : '';
      return { path, rule: e.keyword, message: `must match pattern "${String(p.pattern)}"${hint}` };
    }
    default:
      return { path, rule: e.keyword, message: e.message ?? e.keyword };
  }
}

function show(d: Diagnostic): string {
  return `${d.path || '/'}: ${d.message}`;
}

/** `prefix` is prepended to every instance path (used for decoded JSON-string content). */
export function toDiagnostics(errors: readonly ErrorObject[], prefix = ''): Diagnostic[] {
  const folded = new Set<ErrorObject>();
  const alternatives = new Map<ErrorObject, Map<string, ErrorObject[]>>();
  for (const group of errors) {
    if (group.keyword !== 'anyOf' && group.keyword !== 'oneOf') continue;
    const branches = new Map<string, ErrorObject[]>();
    const head = `${group.schemaPath}/`;
    for (const e of errors) {
      if (e === group || folded.has(e) || !e.schemaPath.startsWith(head)) continue;
      if (!e.instancePath.startsWith(group.instancePath)) continue;
      const branch = e.schemaPath.slice(head.length).split('/')[0];
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
      folded.add(e);
    }
    alternatives.set(group, branches);
  }
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (folded.has(e) || e.keyword === 'if') continue;
    let d = describe(e, prefix);
    const branches = alternatives.get(e);
    if (branches && branches.size > 0) {
      const options = [...branches.values()].map(
        (b) => `(${b.map((x) => show(describe(x, prefix))).join(', ')})`,
      );
      d = { ...d, message: `must satisfy one of: ${options.join(' or ')}` };
    }
    const key = `${d.path}\u0000${d.rule}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** One line: "/coupon_status: must be equal to one of the allowed values (1, 2, 3); /stock_id: is required". */
export function formatDiagnostics(d: readonly Diagnostic[]): string {
  return d.map(show).join('; ');
}
