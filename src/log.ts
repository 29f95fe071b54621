/**
 * Structured JSON logs (winston) with redaction applied to every entry, and the pure `redact`
 * the exchange journal reuses. Redaction: values of sensitive keys (sign, secret, *secret*,
 * authorization, password) become "[redacted]" at any depth, also inside JSON or form text;
 * each known secret string becomes `***` wherever it appears; mainland mobile numbers are
 * masked (139****2222); plates optionally (粤B***PP).
 *
 * Output goes to stdout through winston's Console transport (process.stdout is asynchronous for
 * pipes and sockets, which is how containers and supervisors collect it); nothing writes files
 * synchronously on the request path. Pass `stream` to send the lines elsewhere (tests).
 */
import { createLogger as createWinston, format, transports, type Logform, type Logger } from 'winston';
import type { Writable } from 'node:stream';
import { decodeFormComponent, encodeFormComponent } from './util/form-component';

export interface RedactOptions {
  /**
   * Secret values to blank out wherever they occur (e.g. collectSecrets(config)), or a function
   * returning the current list (credentials reloaded at run time). Only secrets of at least
   * MIN_SECRET_LENGTH characters are matched: the config refuses shorter ones, and a short string
   * would blank out parts of ordinary words.
   */
  secrets?: readonly string[] | (() => readonly string[]);
  maskPlates?: boolean;
}

export interface LoggerOptions extends RedactOptions {
  level: string;
  stream?: Writable;
}

export const REDACTED = '[redacted]';

/**
 * The shortest secret the config accepts, and so the shortest string redaction looks for. A match
 * is not limited to word boundaries: a secret glued to other text (a string-to-sign ends in it)
 * must still be hidden, and a 16-character string does not occur inside ordinary words.
 */
export const MIN_SECRET_LENGTH = 16;

const sensitiveKey = /^(sign|authorization|password)$|secret/i;
const phoneKey = /^(mobile_phone|mobile)$/i;
const phone = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
// Province, issuing-office letter, then 5 (ordinary) or 6 (new-energy) characters.
const plate =
  /([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领])([A-Z])([A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳])/g;
const jsonPair = /"([^"\\]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
const formPair = /(^|[&?])([^=&?\s]+)=([^&]*)/g;

export function redact(value: unknown, opts: RedactOptions = {}): unknown {
  return walk(value, '', contextOf(opts), new WeakSet());
}

/** `redact` for one free-text value (a JSON or form body, a note): the journal's hot path. */
export function redactText(text: string, opts: RedactOptions = {}): string {
  return redactString(text, contextOf(opts));
}

interface Ctx {
  secrets: string[];
  maskPlates: boolean;
}

function walk(v: unknown, key: string, ctx: Ctx, seen: WeakSet<object>): unknown {
  if (key !== '' && sensitiveKey.test(key) && v !== undefined && v !== null && v !== '') return REDACTED;
  if (typeof v === 'string') return phoneKey.test(key) ? maskPhoneValue(v, ctx) : redactString(v, ctx);
  if (typeof v !== 'object' || v === null) return v;
  if (Buffer.isBuffer(v)) return redactString(v.toString('utf8'), ctx);
  if (v instanceof Date) return v;
  if (seen.has(v)) return '[circular]';
  seen.add(v); // ancestors only: an object referenced twice side by side is not a cycle
  let out: unknown[] | Record<string, unknown>;
  if (Array.isArray(v)) out = v.map((x) => walk(x, key, ctx, seen));
  else {
    const entries: [string, unknown][] = Object.entries(v);
    if (v instanceof Error) entries.unshift(['name', v.name], ['message', v.message], ['stack', v.stack]);
    out = Object.fromEntries(entries.map(([k, x]) => [k, walk(x, k, ctx, seen)]));
  }
  seen.delete(v);
  return out;
}

/** Masks inside free text, including JSON and form bodies carried as strings. */
function redactString(s: string, ctx: Ctx): string {
  return redactPatterns(blankSecrets(s, ctx), ctx);
}

function blankSecrets(s: string, ctx: Ctx): string {
  let out = s;
  for (const secret of ctx.secrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}

/** redactString after the secrets are blanked: every pattern scanned over the whole text. */
function redactPatterns(s: string, ctx: Ctx): string {
  let out = s;
  // Each pass runs only when its trigger character is present: this runs on every journaled body.
  if (out.includes('"'))
    out = out.replace(jsonPair, (whole, k: string, colon: string, val: string) =>
      sensitiveKey.test(k) && val !== ''
        ? `"${k}"${colon}"${REDACTED}"`
        : phoneKey.test(k)
          ? `"${k}"${colon}"${maskAny(val)}"`
          : whole,
    );
  if (out.includes('='))
    out = out.replace(formPair, (whole, lead: string, k: string, val: string) =>
      sensitiveKey.test(k) && val !== '' ? `${lead}${k}=${REDACTED}` : whole,
    );
  out = out.replace(phone, '$1****$2');
  if (ctx.maskPlates)
    out = out.replace(plate, (_m, p: string, l: string, tail: string) => p + l + maskTail(tail));
  return out;
}

/** A mobile field is masked whatever its format (it may arrive encrypted). */
function maskPhoneValue(s: string, ctx: Ctx): string {
  const masked = redactString(s, ctx);
  return masked === s ? maskAny(s) : masked;
}

function maskAny(s: string): string {
  if (s === '') return s;
  return s.length >= 8 ? `${s.slice(0, 3)}****${s.slice(-4)}` : '***';
}

function maskTail(tail: string): string {
  return '*'.repeat(tail.length - 2) + tail.slice(-2);
}

/**
 * How a text is laid out, so that redaction can follow its structure (redactBody) instead of
 * scanning it with every pattern: a JSON document, a form body or query string, a URL whose query
 * is a form, or free text.
 */
export type TextLayout = 'json' | 'form' | 'url' | 'text';

/** The layout a Content-Type announces (a body built or received with it). */
export function layoutOfType(contentType: string | undefined): TextLayout {
  if (contentType === undefined) return 'text';
  if (contentType.includes('json')) return 'json';
  return contentType.includes('x-www-form-urlencoded') ? 'form' : 'text';
}

/**
 * `redactText` following the text's structure: the journal's hot path. At least as strict as
 * redactText on the same text — the same secrets blanked everywhere, the same phone numbers and
 * plates masked wherever they stand (the same patterns, run once over the whole text) — and
 * stricter where a scan cannot see: the value of a sensitive key whatever its type, and sign,
 * phone and plate inside a JSON or form text carried as a string value (escaped JSON, a
 * percent-encoded JSON or form value), which are decoded, redacted and encoded again.
 * Only a value that can hold something to hide is decoded; the rest of the text is copied as is.
 * A text that is not well-formed in its layout is scanned as free text (redactText).
 */
export function redactBody(text: string, layout: TextLayout, opts: RedactOptions = {}): string {
  const ctx = contextOf(opts);
  const s = blankSecrets(text, ctx);
  return layout === 'text' ? redactPatterns(s, ctx) : redactLaidOut(s, layout, ctx);
}

interface Edit {
  from: number;
  to: number;
  text: string;
}

const NOT_WELL_FORMED = new Error('not well-formed');

function redactLaidOut(s: string, layout: Exclude<TextLayout, 'text'>, ctx: Ctx): string {
  let spans: Edit[];
  try {
    spans = layout === 'json' ? new JsonSpans(s, ctx).document() : formSpans(s, layout === 'url', ctx);
  } catch (e) {
    // malformed, or nested beyond the stack (a hostile answer): scanned as free text
    if (e === NOT_WELL_FORMED || e instanceof RangeError) return redactPatterns(s, ctx);
    throw e;
  }
  return applyEdits(s, mergeEdits(spans, patternEdits(s, ctx)));
}

/** Phone numbers and (when configured) plates anywhere in the text: the patterns redactText runs. */
function patternEdits(s: string, ctx: Ctx): Edit[] {
  const out: Edit[] = [];
  phone.lastIndex = 0;
  for (let m = phone.exec(s); m; m = phone.exec(s))
    out.push({ from: m.index + 3, to: m.index + 7, text: '****' });
  if (ctx.maskPlates) {
    // plates are looked for after the phone numbers are masked, as redactText does (a masked
    // digit ends a plate); masking keeps the length, so the positions hold in `s`
    const masked = applyEdits(s, out);
    plate.lastIndex = 0;
    for (let m = plate.exec(masked); m; m = plate.exec(masked)) {
      const tailAt = m.index + m[1].length + m[2].length;
      out.push({ from: tailAt, to: tailAt + m[3].length, text: maskTail(m[3]) });
    }
    out.sort((a, b) => a.from - b.from);
  }
  return out;
}

/** Both lists sorted and each free of overlaps; a pattern edit inside a span is the span's. */
function mergeEdits(spans: Edit[], patterns: Edit[]): Edit[] {
  if (patterns.length === 0) return spans;
  const out: Edit[] = [];
  let j = 0;
  for (const p of patterns) {
    while (j < spans.length && spans[j].to <= p.from) out.push(spans[j++]);
    if (j < spans.length && spans[j].from < p.to) continue;
    out.push(p);
  }
  while (j < spans.length) out.push(spans[j++]);
  return out;
}

function applyEdits(s: string, edits: Edit[]): string {
  if (edits.length === 0) return s;
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += s.slice(at, e.from) + e.text;
    at = e.to;
  }
  return out + s.slice(at);
}

/** A string value decoded out of its layout: redacted by its own layout when it has one. */
function redactValue(v: string, ctx: Ctx): string {
  const first = v.trimStart()[0];
  if (first === '{' || first === '[') return redactLaidOut(v, 'json', ctx);
  return redactPatterns(v, ctx);
}

/** A number, true, false or null (their characters; JSON.parse has the last word on a body). */
const literalToken = /[-+.\w]+/y;

/** Spans of a JSON text to replace: values of sensitive and phone keys, and encoded texts inside strings. */
class JsonSpans {
  private i = 0;
  private readonly edits: Edit[] = [];
  // the next backslash and `=` at or after the position last asked about (-1: none left):
  // each found by one native search, so the text is searched for each once, not once a string
  private backslash = -2;
  private equals = -2;
  constructor(
    private readonly s: string,
    private readonly ctx: Ctx,
  ) {}

  document(): Edit[] {
    this.value(undefined);
    this.ws();
    if (this.i !== this.s.length) throw NOT_WELL_FORMED;
    return this.edits;
  }

  private ws(): void {
    for (let c = this.s.charCodeAt(this.i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;)
      c = this.s.charCodeAt(++this.i);
  }

  private nextBackslash(from: number): number {
    if (this.backslash !== -1 && this.backslash < from) this.backslash = this.s.indexOf('\\', from);
    return this.backslash;
  }

  private nextEquals(from: number): number {
    if (this.equals !== -1 && this.equals < from) this.equals = this.s.indexOf('=', from);
    return this.equals;
  }

  private expect(code: number): void {
    this.ws();
    if (this.s.charCodeAt(this.i) !== code) throw NOT_WELL_FORMED;
    this.i++;
  }

  /** Moves past a string token; true when it holds an escape or `=` (an encoded text, maybe). */
  private string(): boolean {
    const from = this.i;
    let escaped = false;
    for (let at = from + 1; ;) {
      const quote = this.s.indexOf('"', at);
      if (quote < 0) throw NOT_WELL_FORMED;
      const bs = this.nextBackslash(at);
      if (bs >= 0 && bs < quote) {
        escaped = true;
        at = bs + 2;
        continue;
      }
      this.i = quote + 1;
      if (escaped) return true;
      const eq = this.nextEquals(from);
      return eq >= 0 && eq < quote;
    }
  }

  private decoded(from: number, escaped: boolean): string {
    const token = this.s.slice(from, this.i);
    if (!escaped) return token.slice(1, -1);
    try {
      return JSON.parse(token) as string;
    } catch {
      throw NOT_WELL_FORMED;
    }
  }

  /** `key` is the member name the value stands under (an array's items stand under its key). */
  private value(key: string | undefined): void {
    this.ws();
    const from = this.i;
    const c = this.s.charCodeAt(from);
    const sensitive = key !== undefined && sensitiveKey.test(key);
    if (c === 0x7b || c === 0x5b) {
      const before = this.edits.length;
      if (c === 0x7b) this.object();
      else this.array(key);
      if (sensitive) {
        this.edits.length = before;
        this.edits.push({ from, to: this.i, text: `"${REDACTED}"` });
      }
      return;
    }
    if (c === 0x22) {
      const special = this.string();
      if (sensitive) {
        if (this.i - from > 2) this.edits.push({ from, to: this.i, text: `"${REDACTED}"` });
      } else if (key !== undefined && phoneKey.test(key)) {
        this.replaceString(from, maskAny(this.decoded(from, special)));
      } else if (special) {
        const v = this.decoded(from, true);
        const r = redactValue(v, this.ctx);
        if (r !== v) this.edits.push({ from, to: this.i, text: JSON.stringify(r) });
      }
      return;
    }
    literalToken.lastIndex = from;
    const literal = literalToken.exec(this.s)?.[0];
    if (literal === undefined) throw NOT_WELL_FORMED;
    this.i += literal.length;
    if (sensitive && literal !== 'null') this.edits.push({ from, to: this.i, text: `"${REDACTED}"` });
  }

  private replaceString(from: number, text: string): void {
    const quoted = JSON.stringify(text);
    if (quoted !== this.s.slice(from, this.i)) this.edits.push({ from, to: this.i, text: quoted });
  }

  private object(): void {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) throw NOT_WELL_FORMED;
      const from = this.i;
      const key = this.decoded(from, this.string());
      this.expect(0x3a);
      this.value(key);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x7d) return;
      if (c !== 0x2c) throw NOT_WELL_FORMED;
    }
  }

  private array(key: string | undefined): void {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return;
    }
    for (;;) {
      this.value(key);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x5d) return;
      if (c !== 0x2c) throw NOT_WELL_FORMED;
    }
  }
}

/** A form value that may carry an encoded text (percent escapes, `+`, a nested form or JSON). */
const encodedValue = /[%+=?"\\]/;
/** A key the scan would read differently from a form parser (redactText's formPair). */
const oddKey = /[?"\s]/;

/**
 * Spans of a form body, a query string, or the query of a URL to replace: values of sensitive and
 * phone keys, and encoded texts. A segment whose key a parser and the text scan would read apart
 * is replaced by its scan.
 */
function formSpans(s: string, isUrl: boolean, ctx: Ctx): Edit[] {
  const edits: Edit[] = [];
  let pos = isUrl ? s.indexOf('?') + 1 : 0;
  if (pos === 0 && isUrl) return edits;
  while (pos <= s.length) {
    let end = s.indexOf('&', pos);
    if (end < 0) end = s.length;
    const eq = s.indexOf('=', pos);
    const rawKey = s.slice(pos, eq < 0 || eq > end ? end : eq);
    if (oddKey.test(rawKey)) {
      const seg = s.slice(pos, end);
      const r = redactPatterns(seg, ctx);
      if (r !== seg) edits.push({ from: pos, to: end, text: r });
    } else if (eq >= 0 && eq < end) {
      const edit = formValueEdit(rawKey, s.slice(eq + 1, end), ctx);
      if (edit !== undefined) edits.push({ from: eq + 1, to: end, text: edit });
    }
    pos = end + 1;
  }
  return edits;
}

/** What a form value becomes, or undefined when it stays. */
function formValueEdit(rawKey: string, raw: string, ctx: Ctx): string | undefined {
  let key: string;
  let value: string;
  if (sensitiveKey.test(rawKey)) return raw === '' ? undefined : REDACTED;
  try {
    key = encodedValue.test(rawKey) ? decodeFormComponent(rawKey) : rawKey;
    if (sensitiveKey.test(key)) return raw === '' ? undefined : REDACTED;
    const phoneField = phoneKey.test(key);
    if (!phoneField && !encodedValue.test(raw)) return undefined;
    value = decodeFormComponent(raw);
    if (phoneField) {
      const masked = maskAny(value);
      return masked === value ? undefined : encodeFormComponent(masked);
    }
  } catch {
    // a bad percent escape: the value is scanned as it stands
    const r = redactPatterns(raw, ctx);
    return r === raw ? undefined : r;
  }
  const r = redactValue(value, ctx);
  return r === value ? undefined : encodeFormComponent(r);
}

/** winston format applying `redact` to every field of an entry (its `level` stays as is). */
export function redactFormat(opts: RedactOptions): Logform.Format {
  const fixed = typeof opts.secrets === 'function' ? undefined : contextOf(opts);
  return format((info) => {
    const ctx = fixed ?? contextOf(opts);
    for (const k of Object.keys(info)) if (k !== 'level') info[k] = walk(info[k], k, ctx, new WeakSet());
    return info;
  })();
}

/** Per list of secrets given: the contexts with and without plates (secrets sorted once). */
const contexts = new WeakMap<readonly string[], { plain: Ctx; plates: Ctx }>();

function contextOf(opts: RedactOptions): Ctx {
  const given = (typeof opts.secrets === 'function' ? opts.secrets() : opts.secrets) ?? [];
  let kept = contexts.get(given);
  if (!kept) {
    // longest first, so that a secret containing another is blanked whole
    const secrets = [...new Set(given)]
      .filter((s) => s.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
    kept = { plain: { secrets, maskPlates: false }, plates: { secrets, maskPlates: true } };
    contexts.set(given, kept);
  }
  return opts.maskPlates === true ? kept.plates : kept.plain;
}

export function createLogger(opts: LoggerOptions): Logger {
  return createWinston({
    level: opts.level,
    format: format.combine(
      format.errors({ stack: true }),
      redactFormat(opts),
      format.timestamp(),
      format.json(),
    ),
    transports: [opts.stream ? new transports.Stream({ stream: opts.stream }) : new transports.Console()],
  });
}
