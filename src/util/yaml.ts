/**
 * YAML with source positions: parses a file once and answers "which line holds this JSON
 * pointer", so every configuration or mapping problem prints as `file:line: /path: message`.
 */
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';

export interface YamlSource {
  file: string;
  value: unknown;
  /** 1-based line of the node at a JSON pointer ("/branches/0/fields/x"), or of its nearest existing parent. */
  lineOf(pointer: string): number;
}

export class YamlSyntaxError extends Error {}

export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map(
      (e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`,
    );
    throw new YamlSyntaxError(lines.join('\n'));
  }
  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }),
    lineOf(pointer: string): number {
      const segments = pointer
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      for (let n = segments.length; n >= 0; n--) {
        const node = doc.getIn(
          segments.slice(0, n).map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
          true,
        );
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return 1;
    },
  };
}
