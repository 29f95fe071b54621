/**
 * ParsedMessage builders for the three transports. Form and query fields are the decoded strings
 * (JSON-string fields such as `mcoupons` stay strings), and sign exactly as received; JSON bodies
 * keep their raw text beside the parsed value and the signing view (see json.ts).
 */
import type { ParsedMessage, RawRequest } from '../types';
import { parseForm } from './form';
import { parseJsonObject } from './json';
import { parseQuery } from './query';
import { setOwn } from '../../util/own';

export function jsonMessage(rawBody: string): ParsedMessage {
  return { encoding: 'json', ...parseJsonObject(rawBody), rawBody };
}

export function formMessage(rawBody: string): ParsedMessage {
  const fields = parseForm(rawBody);
  return { encoding: 'form', fields, signingParams: { ...fields }, rawBody };
}

export function queryMessage(req: RawRequest, rawBody = ''): ParsedMessage {
  const fields = parseQuery(req.query);
  return { encoding: 'query', fields, signingParams: { ...fields }, rawBody };
}

export function isBodyless(method: string): boolean {
  return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD';
}

/** A copy of `fields` without the given keys (common parameters the dialect sets itself). */
export function omit(fields: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) if (!keys.includes(k)) setOwn(out, k, fields[k]);
  return out;
}

/** A header's single value (the first when repeated), undefined when absent or blank. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}
