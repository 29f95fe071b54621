/**
 * A YAML config file parsed with its node positions, so that every problem can be printed as
 * `file:line: /path: message`. A map entry is located at its key's line (where an editor jumps),
 * a list item at the item's first line.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

export interface SourceFile {
  fileName: string;
  doc: Document;
  lines: LineCounter;
  /** The file as plain data; `{}` for an empty file. */
  data: unknown;
  /** YAML syntax errors, already formatted. */
  syntaxErrors: string[];
}

export function parseSource(text: string, fileName: string): SourceFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntaxErrors = doc.errors.map(
    (e) => `${fileName}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`,
  );
  const data = syntaxErrors.length === 0 ? (doc.toJS() ?? {}) : {};
  return { fileName, doc, lines, data, syntaxErrors };
}

/** The line of the node at `path`, or of its deepest existing ancestor (`exact: false`). */
export function locate(src: SourceFile, path: string[]): { line?: number; exact: boolean } {
  let node: unknown = src.doc.contents;
  let line = lineOf(src, node);
  for (const seg of path) {
    let next: unknown;
    let at: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === seg);
      next = pair?.value;
      at = pair?.key;
    } else if (isSeq(node)) {
      next = node.items[Number(seg)];
      at = next;
    }
    if (at === undefined) return { line, exact: false };
    line = lineOf(src, at) ?? line;
    node = next;
  }
  return { line, exact: true };
}

function lineOf(src: SourceFile, node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? src.lines.linePos(range[0]).line : undefined;
}

export function pointer(path: string[]): string {
  return '/' + path.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

export function parsePointer(p: string): string[] {
  return p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
