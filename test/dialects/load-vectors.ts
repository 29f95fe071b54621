/**
 * Loads the published signature vectors from the repository's own copy (test/fixtures/vectors.json,
 * copied from the published vectors file; test/dialects/vectors-fixture.test.ts pins every
 * published signature literally), and a helper that changes exactly one character of a string for
 * the negative tests.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Vector {
  id: string;
  dialect: string;
  scheme: string;
  secret: string;
  app_key?: string;
  params?: Record<string, unknown>;
  body?: string;
  sign: string;
}

const vectorsFile = resolve(__dirname, '..', 'fixtures', 'vectors.json');

export function loadVectors(): Vector[] {
  return (JSON.parse(readFileSync(vectorsFile, 'utf8')) as { vectors: Vector[] }).vectors;
}

/** The same string with its last character replaced by a different one. */
export function changeOneChar(text: string): string {
  const last = text.slice(-1);
  return `${text.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
}
