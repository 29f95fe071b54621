/**
 * Messages generated from a route's inbound message schema, for the generated contract checks
 * (`couponbridge test --generate N`, src/contract/generated-checks.ts). Three kinds:
 *
 *   valid     any message the schema accepts: optional fields present or absent, strings of any
 *             allowed length (ASCII, CJK and any code point), integers over their range, the
 *             decoded content of JSON-string fields (P云 `mcoupons`, Dianping `couponCode` as a
 *             JSON list) generated from their contentSchema; a free-text field draws from its
 *             schema's `examples` half the time (Tencent `extra` carries a plate there).
 *   boundary  valid, with each field at an edge half the time: minLength / maxLength, minimum /
 *             maximum (Number.MAX_SAFE_INTEGER when unbounded), first / last enum value, minItems /
 *             maxItems, and every optional field absent or every one present.
 *   near-miss a valid message with exactly one thing broken, labelled with what it breaks:
 *             a required field absent, maxLength + 1, minLength − 1, a pattern broken, a value
 *             just outside an enum or a minimum / maximum, a wrong type, a JSON-string field that is
 *             not JSON, or one broken inside its decoded content (an item missing a key, one item
 *             too many). Every near-miss is invalid against the schema by construction (the unit
 *             tests check it on the shipped schemas).
 *
 * The generator is fast-check (arbitraries built here from the schema's keywords): its runs are
 * reproducible from a seed and a failing message is shrunk to a small counterexample, which
 * json-schema-faker (the other maintained choice) does not do. Only the message's own fields are
 * generated: the common parameters of the dialect (`common.request`: api_key, nonce, sign …) are
 * the signer's, so the allOf parts of the message schema are left out.
 *
 * A string with a pattern is generated from the pattern (fc.stringMatching); `format: date-time`
 * (the only format the message schemas use) additionally keeps real dates only.
 *
 * Form and query transports (P云, Dianping) carry every value as a string: for them a union type
 * is generated as its string member only, and a wrong-type near-miss is a non-numeric string.
 */
import fc from 'fast-check';
import type { SchemaRegistry } from '../schema/registry';
import { expand, isNode, type Located, type Lookup, type SchemaNode } from '../schema/navigate';

export type MessageKind = 'valid' | 'boundary' | 'near-miss';

export interface GeneratedMessage {
  kind: MessageKind;
  /** The message's own fields (no common parameters, no signature), as typed values. */
  fields: Record<string, unknown>;
  /** For a near-miss, what it breaks (e.g. `user_code: maxLength 32 exceeded`); '' otherwise. */
  breaks: string;
}

export interface MessageArbitraries {
  valid: fc.Arbitrary<GeneratedMessage>;
  boundary: fc.Arbitrary<GeneratedMessage>;
  nearMiss: fc.Arbitrary<GeneratedMessage>;
  /** Every break the schema allows, by label (for reports and tests). */
  breakLabels: string[];
}

export interface GenerateOptions {
  /** Form or query transport: every value travels as a string. */
  form: boolean;
}

/** A wrong value for one place of a schema, with what it breaks. */
interface Break {
  label: string;
  value: fc.Arbitrary<unknown>;
}

/** `name` + a nested break's label: `coupons[0].coupon_id: …`, `mcoupons (decoded)[0]…`, `user_code: …`. */
function under(name: string, label: string): string {
  return /^[[. ]/.test(label) ? `${name}${label}` : `${name}: ${label}`;
}

type Mode = 'valid' | 'boundary';

/** Upper bound on generated free-text lengths and list sizes where the schema sets none. */
const OPEN_LENGTH = 40;
const OPEN_ITEMS = 4;
const ANNOTATIONS = new Set(['description', '$comment', 'title', '$ref', 'allOf', 'examples']);

/** One code point: mostly printable ASCII, some CJK (the protocols' names), sometimes any. */
const codePoint: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Length as JSON Schema counts it: code points. */
export function codePointLength(s: string): number {
  return [...s].length;
}

/** `format: date-time` beyond its pattern: the day exists in its month (no Feb 30). */
function realDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function text(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: codePoint, minLength, maxLength });
}

function textOfLength(n: number): fc.Arbitrary<string> {
  return text(n, n);
}

function typesOf(f: SchemaNode, form: boolean): string[] {
  const t = f.type;
  const all = Array.isArray(t) ? t.map(String) : typeof t === 'string' ? [t] : [];
  if (form && all.length > 1 && all.includes('string')) return ['string'];
  return all;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/**
 * The schema objects reachable from `loc` through $ref and allOf, merged into one keyword set
 * (the first occurrence of a keyword wins, so a property's own keywords override its $ref's;
 * `required` and `properties` are unions). Each merged sub-schema keeps its document so nested
 * $refs resolve.
 */
interface Flat {
  node: SchemaNode;
  /** Where each property's schema lives. */
  props: Map<string, Located>;
  required: string[];
  examples: unknown[];
}

export class SchemaArbitraries {
  private readonly lookup: Lookup;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly opts: GenerateOptions,
  ) {
    this.lookup = (id) => (registry.has(id) ? registry.schema(id) : undefined);
  }

  /** Arbitraries for the message schema `schemaId` (its own fields: allOf parts left out). */
  forMessage(schemaId: string): MessageArbitraries {
    const root: Located = { node: this.registry.schema(schemaId), doc: schemaId, pointer: '' };
    const own = this.flatten(root, false);
    const valid = this.objectOf(own, 'valid');
    const boundary = this.objectOf(own, 'boundary');
    const breaks = this.objectBreaks(own);
    const message =
      (kind: MessageKind, breaksLabel = '') =>
      (fields: unknown) => ({
        kind,
        fields: fields as Record<string, unknown>,
        breaks: breaksLabel,
      });
    return {
      valid: valid.map(message('valid')),
      boundary: boundary.map(message('boundary')),
      nearMiss: fc.oneof(...breaks.map((b) => b.value.map(message('near-miss', b.label)))),
      breakLabels: breaks.map((b) => b.label),
    };
  }

  private flatten(loc: Located, followAllOf = true): Flat {
    const parts = followAllOf
      ? expand(loc, this.lookup, ['allOf'])
      : // the message's own keywords only: its allOf names the dialect's common parameters
        [loc];
    const node: SchemaNode = {};
    const props = new Map<string, Located>();
    const required = new Set<string>();
    const examples: unknown[] = [];
    for (const p of parts) {
      for (const [k, v] of Object.entries(p.node)) {
        if (k === 'properties' && isNode(v)) {
          for (const [name, sub] of Object.entries(v)) {
            if (isNode(sub) && !props.has(name)) {
              props.set(name, { node: sub, doc: p.doc, pointer: `${p.pointer}/properties/${name}` });
            }
          }
        } else if (k === 'required' && Array.isArray(v)) {
          for (const r of v) required.add(String(r));
        } else if (k === 'examples' && Array.isArray(v)) {
          examples.push(...(v as unknown[]));
        } else if (!ANNOTATIONS.has(k) && !(k in node)) {
          node[k] = v;
        }
      }
    }
    // a top-level required field declared only by the common parameters is the signer's
    const ownRequired = followAllOf ? [...required] : [...required].filter((r) => props.has(r));
    return { node, props, required: ownRequired, examples };
  }

  private at(loc: Located, key: string): Located | undefined {
    const v = loc.node[key];
    return isNode(v) ? { node: v, doc: loc.doc, pointer: `${loc.pointer}/${key}` } : undefined;
  }

  // ——— valid and boundary values ———

  private valueOf(loc: Located, mode: Mode): fc.Arbitrary<unknown> {
    const flat = this.flatten(loc);
    const f = flat.node;
    if (f.const !== undefined) return fc.constant(f.const);
    if (Array.isArray(f.enum)) {
      const values = f.enum as unknown[];
      return mode === 'boundary'
        ? fc.constantFrom(values[0], values[values.length - 1])
        : fc.constantFrom(...values);
    }
    const guarded = this.guardedContent(loc, flat);
    if (guarded) return this.guardedValue(guarded, f, mode);
    const content = this.contentOf(loc, flat);
    if (content) return this.jsonText(content, f, mode);
    const types = typesOf(f, this.opts.form);
    if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
    return fc.oneof(...types.map((t) => this.typedValue(t, loc, flat, mode)));
  }

  private typedValue(type: string, loc: Located, flat: Flat, mode: Mode): fc.Arbitrary<unknown> {
    const f = flat.node;
    switch (type) {
      case 'string':
        return this.stringValue(f, flat.examples, mode);
      case 'integer':
        return this.integerValue(f, mode);
      case 'number':
        return fc.oneof(
          this.integerValue(f, mode),
          fc.double({
            min: num(f.minimum) ?? 0,
            noNaN: true,
            noDefaultInfinity: true,
            max: num(f.maximum) ?? 1e9,
          }),
        );
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return this.arrayValue(loc, flat, mode);
      case 'object':
        return this.objectOf(flat, mode);
      default:
        throw new Error(`${loc.doc}#${loc.pointer}: type ${type} cannot be generated`);
    }
  }

  private stringValue(f: SchemaNode, examples: unknown[], mode: Mode): fc.Arbitrary<string> {
    const min = num(f.minLength) ?? 0;
    const max = num(f.maxLength);
    const fits = (s: string) => codePointLength(s) >= min && (max === undefined || codePointLength(s) <= max);
    if (typeof f.pattern === 'string') {
      const re = new RegExp(f.pattern, 'u');
      const real = f.format === 'date-time' ? realDate : () => true;
      return fc.stringMatching(re).filter((s) => fits(s) && real(s));
    }
    const lengths =
      mode === 'boundary'
        ? fc.oneof(fc.constantFrom(min, max ?? 256), fc.integer({ min, max: max ?? min + OPEN_LENGTH }))
        : fc.integer({ min, max: max ?? min + OPEN_LENGTH });
    const free = lengths.chain(textOfLength);
    const shown = examples.filter((e): e is string => typeof e === 'string' && fits(e));
    return shown.length > 0 ? fc.oneof(fc.constantFrom(...shown), free) : free;
  }

  private integerValue(f: SchemaNode, mode: Mode): fc.Arbitrary<number> {
    const min = num(f.minimum) ?? Number.MIN_SAFE_INTEGER;
    const max = num(f.maximum) ?? Number.MAX_SAFE_INTEGER;
    // mostly within 32 bits when the range allows (amounts, counts), else the whole range (epoch ms)
    const lo = Math.max(min, -(2 ** 31));
    const hi = Math.min(max, 2 ** 31 - 1);
    const any = lo <= hi ? fc.integer({ min: lo, max: hi }) : fc.integer({ min, max });
    return mode === 'boundary' ? fc.oneof(fc.constantFrom(min, max), any) : any;
  }

  private arrayValue(loc: Located, flat: Flat, mode: Mode): fc.Arbitrary<unknown[]> {
    const f = flat.node;
    const items = this.at(this.locOf(loc, flat, 'items'), 'items');
    if (!items) return fc.constant([]);
    const minLength = num(f.minItems) ?? 0;
    const maxLength = num(f.maxItems);
    const item = this.valueOf(items, mode);
    if (mode === 'boundary') {
      const edge = fc.constantFrom(minLength, maxLength ?? minLength + OPEN_ITEMS);
      return edge.chain((n) => fc.array(item, { minLength: n, maxLength: n }));
    }
    return fc.array(item, { minLength, maxLength: Math.min(maxLength ?? Infinity, minLength + OPEN_ITEMS) });
  }

  /** The located schema (loc itself or a part of it reached through $ref/allOf) that holds `key`. */
  private locOf(loc: Located, _flat: Flat, key: string): Located {
    return expand(loc, this.lookup, ['allOf']).find((p) => p.node[key] !== undefined) ?? loc;
  }

  private objectOf(flat: Flat, mode: Mode): fc.Arbitrary<Record<string, unknown>> {
    const f = flat.node;
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, loc] of flat.props) model[name] = this.valueOf(loc, mode);
    const optional = [...flat.props.keys()].filter((k) => !flat.required.includes(k));
    const declared =
      mode === 'boundary'
        ? // every optional field absent, or every one present
          fc.boolean().chain((all) =>
            fc.record(model, { requiredKeys: all ? [...flat.props.keys()] : flat.required }).map((r) => {
              if (!all) for (const k of optional) delete r[k];
              return r;
            }),
          )
        : fc.record(model, { requiredKeys: flat.required.filter((k) => flat.props.has(k)) });
    const extra = f.additionalProperties;
    if (flat.props.size === 0 && isNode(extra)) {
      // a map with caller-defined keys (Dianping attributes)
      return fc.dictionary(text(1, 12), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 });
    }
    return declared;
  }

  /** The contentSchema of a JSON-string field, if it is one. */
  private contentOf(loc: Located, flat: Flat): Located | undefined {
    if (flat.node.contentMediaType !== 'application/json') return undefined;
    return this.at(this.locOf(loc, flat, 'contentSchema'), 'contentSchema');
  }

  /** `if: {pattern}` / `then: {contentSchema}`: a plain value, or JSON content when the guard matches. */
  private guardedContent(loc: Located, flat: Flat): { guard: RegExp; content: Located } | undefined {
    const guard = flat.node.if;
    if (!isNode(guard) || typeof guard.pattern !== 'string') return undefined;
    const then = this.at(this.locOf(loc, flat, 'then'), 'then');
    const content = then && this.contentOf(then, this.flatten(then));
    return content ? { guard: new RegExp(guard.pattern, 'u'), content } : undefined;
  }

  private guardedValue(
    g: { guard: RegExp; content: Located },
    f: SchemaNode,
    mode: Mode,
  ): fc.Arbitrary<string> {
    const plain = this.stringValue(f, [], mode).filter((s) => !g.guard.test(s));
    return fc.oneof(plain, this.jsonText(g.content, f, mode));
  }

  private jsonText(content: Located, f: SchemaNode, mode: Mode): fc.Arbitrary<string> {
    const max = num(f.maxLength);
    return this.valueOf(content, mode)
      .map((v) => JSON.stringify(v))
      .filter((s) => max === undefined || codePointLength(s) <= max);
  }

  // ——— near-misses ———

  private objectBreaks(flat: Flat): Break[] {
    const valid = this.objectOf(flat, 'valid');
    const out: Break[] = [];
    for (const name of flat.required) {
      if (!flat.props.has(name)) continue;
      out.push({
        label: `${name}: required, absent`,
        value: valid.map((o) => {
          const copy = { ...o };
          delete copy[name];
          return copy;
        }),
      });
    }
    if (flat.node.additionalProperties === false) {
      out.push({
        label: 'x_unknown: not allowed (closed object)',
        value: valid.map((o) => ({ ...o, x_unknown: '1' })),
      });
    }
    for (const [name, loc] of flat.props) {
      for (const b of this.valueBreaks(loc)) {
        out.push({
          label: under(name, b.label),
          value: fc.tuple(valid, b.value).map(([o, v]) => ({ ...o, [name]: v })),
        });
      }
    }
    return out;
  }

  private valueBreaks(loc: Located): Break[] {
    const flat = this.flatten(loc);
    const f = flat.node;
    if (f.const !== undefined)
      return [
        { label: `not the constant ${JSON.stringify(f.const)}`, value: fc.constant(`${String(f.const)}x`) },
      ];
    if (Array.isArray(f.enum)) return this.enumBreaks(f.enum as unknown[]);
    const guarded = this.guardedContent(loc, flat);
    if (guarded) return this.contentBreaks(guarded.content, f).concat(this.stringBreaks(f, flat));
    const content = this.contentOf(loc, flat);
    if (content) return this.contentBreaks(content, f);
    const types = typesOf(f, this.opts.form);
    const out: Break[] = [];
    if (types.includes('string')) out.push(...this.stringBreaks(f, flat));
    if (types.includes('integer') || types.includes('number')) out.push(...this.numberBreaks(f, types));
    if (types.includes('array')) out.push(...this.arrayBreaks(loc, flat));
    if (types.includes('object')) {
      for (const b of this.objectBreaks(flat)) out.push({ label: `.${b.label}`, value: b.value });
    }
    out.push(...this.typeBreaks(types));
    return out;
  }

  private enumBreaks(values: unknown[]): Break[] {
    if (values.every((v) => typeof v === 'number')) {
      const nums = values as number[];
      const outside = [Math.min(...nums) - 1, Math.max(...nums) + 1].filter((n) => !nums.includes(n));
      return [
        {
          label: `not in enum [${nums.join(',')}]`,
          value: fc.constantFrom(...outside.map((n) => (this.opts.form ? String(n) : n))),
        },
      ];
    }
    const strings = values.map(String);
    return [
      {
        label: `not in enum [${strings.join(',')}]`,
        value: fc.constantFrom(`${strings[0]}x`, '').filter((s) => !strings.includes(s)),
      },
    ];
  }

  private stringBreaks(f: SchemaNode, flat: Flat): Break[] {
    const out: Break[] = [];
    const min = num(f.minLength) ?? 0;
    const max = num(f.maxLength);
    const pattern = typeof f.pattern === 'string' ? new RegExp(f.pattern, 'u') : undefined;
    const valid = this.stringValue(f, flat.examples, 'valid');
    if (max !== undefined) {
      out.push({ label: `maxLength ${max} exceeded`, value: textOfLength(max + 1) });
    }
    if (min > 0) {
      out.push({
        label: `shorter than minLength ${min}`,
        value: textOfLength(min - 1).filter((s) => !this.opts.form || s.trim() === s),
      });
    }
    if (pattern) {
      out.push({
        label: `pattern ${String(f.pattern)} broken`,
        value: fc
          .tuple(valid, codePoint, fc.boolean())
          .map(([s, c, before]) => (before ? c + s : s + c))
          .filter((s) => !pattern.test(s) && (max === undefined || codePointLength(s) <= max)),
      });
    }
    return out;
  }

  private numberBreaks(f: SchemaNode, types: string[]): Break[] {
    const out: Break[] = [];
    const form = this.opts.form;
    const wire = (n: number) => (form ? String(n) : n);
    const min = num(f.minimum);
    const max = num(f.maximum);
    if (min !== undefined) out.push({ label: `below minimum ${min}`, value: fc.constant(wire(min - 1)) });
    if (max !== undefined) out.push({ label: `above maximum ${max}`, value: fc.constant(wire(max + 1)) });
    if (types.includes('integer') && !types.includes('number')) {
      const base = min ?? 0;
      out.push({ label: 'not an integer', value: fc.constant(wire(base + 0.5)) });
    }
    return out;
  }

  /** A value of a type the schema does not allow (forms: a non-numeric string for a number). */
  private typeBreaks(types: string[]): Break[] {
    const numeric = types.includes('integer') || types.includes('number');
    if (this.opts.form) {
      return numeric && !types.includes('string')
        ? [{ label: 'not a number', value: fc.constantFrom('x', '1x', 'NaN') }]
        : [];
    }
    const wrong: unknown[] = [];
    if (!types.includes('string')) wrong.push('1');
    if (!numeric) wrong.push(1);
    if (!types.includes('boolean')) wrong.push(true);
    if (!types.includes('object')) wrong.push({});
    return wrong.length > 0
      ? [{ label: `wrong type (not ${types.join(' or ')})`, value: fc.constantFrom(...wrong) }]
      : [];
  }

  private arrayBreaks(loc: Located, flat: Flat): Break[] {
    const f = flat.node;
    const itemsLoc = this.at(this.locOf(loc, flat, 'items'), 'items');
    if (!itemsLoc) return [];
    const item = this.valueOf(itemsLoc, 'valid');
    const min = num(f.minItems) ?? 0;
    const max = num(f.maxItems);
    const valid = this.arrayValue(loc, flat, 'valid');
    const out: Break[] = [];
    if (max !== undefined) {
      out.push({
        label: `maxItems ${max} exceeded`,
        value: fc.array(item, { minLength: max + 1, maxLength: max + 1 }),
      });
    }
    if (min > 0) {
      out.push({
        label: `fewer than minItems ${min}`,
        value: fc.array(item, { minLength: min - 1, maxLength: min - 1 }),
      });
    }
    for (const b of this.valueBreaks(itemsLoc)) {
      out.push({
        label: under('[0]', b.label),
        value: fc
          .tuple(valid, b.value)
          .map(([rest, bad]) => [bad, ...rest].slice(0, Math.max(1, max ?? Infinity))),
      });
    }
    return out;
  }

  private contentBreaks(content: Located, f: SchemaNode): Break[] {
    const max = num(f.maxLength);
    const fits = (s: string) => max === undefined || codePointLength(s) <= max;
    const valid = this.valueOf(content, 'valid').map((v) => JSON.stringify(v));
    const out: Break[] = [
      {
        label: 'not JSON',
        value: valid.map((s) => s.slice(0, -1)).filter((s) => s.length > 0 && fits(s)),
      },
    ];
    for (const b of this.valueBreaks(content)) {
      out.push({
        label: under(' (decoded)', b.label),
        value: b.value.map((v) => JSON.stringify(v)).filter(fits),
      });
    }
    return out;
  }
}

/** Arbitraries for one message schema (see SchemaArbitraries). */
export function messageArbitraries(
  registry: SchemaRegistry,
  schemaId: string,
  opts: GenerateOptions,
): MessageArbitraries {
  return new SchemaArbitraries(registry, opts).forMessage(schemaId);
}
