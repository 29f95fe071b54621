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
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  private stringToken(): string {
    const start = this.pos++;
    while (this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    this.pos++;
    return this.text.slice(start, this.pos);
  }

  value(): Node {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'leaf', raw: this.stringToken() };
    const start = this.pos;
    while (this.pos < this.text.length && !',]} \t\n\r'.includes(this.text[this.pos])) this.pos++;
    return { kind: 'leaf', raw: this.text.slice(start, this.pos) };
  }

  private object(): Node {
    const members: Array<{ rawKey: string; key: string; value: Node }> = [];
    this.pos++;
    this.skipWhitespace();
    while (this.text[this.pos] !== '}') {
      const rawKey = this.stringToken();
      this.skipWhitespace();
      this.pos++; // ':'
      members.push({ rawKey, key: JSON.parse(rawKey) as string, value: this.value() });
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
  const root = new Scanner(text).value();
  const signing = new Map<string, string>();
  if (root.kind === 'object') {
    for (const { key, value } of root.members) {
      signing.delete(key);
      if (value.kind !== 'leaf') signing.set(key, write(value, opts.sortNested ?? false));
      else if (value.raw.startsWith('"')) signing.set(key, JSON.parse(value.raw) as string);
      else if (value.raw !== 'null') signing.set(key, value.raw);
    }
  }
  return { fields: fields as Record<string, unknown>, signingParams: Object.fromEntries(signing) };
}
