/**
 * JSON object bodies and their signing view. Signatures are computed over values exactly as they
 * were sent, so the view is read from the raw text by a small scanner instead of re-serialising the
 * parsed value (which would turn `1.50` into `1.5` and round big integers):
 * strings are the decoded string, numbers/booleans their original text, null is left out, and
 * objects/arrays are their raw text with insignificant whitespace removed — optionally with keys
 * sorted recursively (P云's JSON pushes sign nested objects that way).
 * The text is validated by JSON.parse first, so the scanner only walks well-formed JSON.
 */
import { CbError } from '../../errors';
import { assertJsonDepth } from './input-rules';
import { setOwn } from '../../util/own';

type Node =
  | { kind: 'leaf'; raw: string }
  | { kind: 'object'; members: Array<{ rawKey: string; key: string; value: Node }> }
  | { kind: 'array'; items: Node[] };

export interface JsonView {
  fields: Record<string, unknown>;
  signingParams: Record<string, string>;
}

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  private skipWhitespace(): void {
    for (let c = this.text.charCodeAt(this.pos); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;)
      c = this.text.charCodeAt(++this.pos);
  }

  private stringToken(): string {
    const start = this.pos++;
    for (let c = this.text.charCodeAt(this.pos); c !== 0x22; c = this.text.charCodeAt(this.pos))
      this.pos += c === 0x5c ? 2 : 1;
    this.pos++;
    return this.text.slice(start, this.pos);
  }

  private literal(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !',]} \t\n\r'.includes(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /**
   * The signing view of the top-level object: each member's text as signed (see the header), a
   * repeated key keeping its last value at its last position, null leaving the key out. Only
   * nested values are built as trees (to be rewritten compactly); leaves are read in place.
   */
  signingView(sortNested: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    this.skipWhitespace();
    this.pos++; // '{'
    this.skipWhitespace();
    while (this.text.charCodeAt(this.pos) !== 0x7d) {
      const key = stringValue(this.stringToken());
      this.skipWhitespace();
      this.pos++; // ':'
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      const text =
        c === 0x7b || c === 0x5b
          ? write(this.value(), sortNested)
          : c === 0x22
            ? stringValue(this.stringToken())
            : this.literal();
      if (Object.hasOwn(out, key)) delete out[key];
      if (text !== 'null' || c === 0x22) setOwn(out, key, text);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) === 0x2c) this.pos++;
      this.skipWhitespace();
    }
    return out;
  }

  value(): Node {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'leaf', raw: this.stringToken() };
    return { kind: 'leaf', raw: this.literal() };
  }

  private object(): Node {
    const members: Array<{ rawKey: string; key: string; value: Node }> = [];
    this.pos++;
    this.skipWhitespace();
    while (this.text[this.pos] !== '}') {
      const rawKey = this.stringToken();
      this.skipWhitespace();
      this.pos++; // ':'
      members.push({ rawKey, key: stringValue(rawKey), value: this.value() });
      this.skipWhitespace();
      if (this.text[this.pos] === ',') this.pos++;
      this.skipWhitespace();
    }
    this.pos++;
    return { kind: 'object', members };
  }

  private array(): Node {
    const items: Node[] = [];
    this.pos++;
    this.skipWhitespace();
    while (this.text[this.pos] !== ']') {
      items.push(this.value());
      this.skipWhitespace();
      if (this.text[this.pos] === ',') this.pos++;
      this.skipWhitespace();
    }
    this.pos++;
    return { kind: 'array', items };
  }
}

/** A string token's value: JSON.parse only when it holds an escape. */
function stringValue(token: string): string {
  return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function write(node: Node, sortKeys: boolean): string {
  if (node.kind === 'leaf') return node.raw;
  if (node.kind === 'array') return `[${node.items.map((n) => write(n, sortKeys)).join(',')}]`;
  const members = sortKeys ? [...node.members].sort(byKey) : node.members;
  return `{${members.map((m) => `${m.rawKey}:${write(m.value, sortKeys)}`).join(',')}}`;
}

/** Parses a JSON object body; throws CB_BODY_MALFORMED with the parser's reason otherwise. */
export function parseJsonObject(text: string, opts: { sortNested?: boolean } = {}): JsonView {
  if (text.trim() === '') throw new CbError('CB_BODY_MALFORMED', 'empty body, expected a JSON object');
  assertJsonDepth(text);
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch (e) {
    throw new CbError('CB_BODY_MALFORMED', `invalid JSON: ${(e as Error).message}`);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    const got = fields === null ? 'null' : Array.isArray(fields) ? 'an array' : typeof fields;
    throw new CbError('CB_BODY_MALFORMED', `JSON body must be an object, got ${got}`);
  }
  const signingParams = new Scanner(text).signingView(opts.sortNested ?? false);
  return { fields: fields as Record<string, unknown>, signingParams };
}
