/**
 * Query strings: the same rules as form bodies (`+` is a space, as Dianping's URLEncoder-based
 * SDKs produce), and appending an encoded query to a path that may already carry one.
 */
import { encodeForm, parseForm } from './form';

export function parseQuery(query: string): Record<string, string> {
  return parseForm(query.startsWith('?') ? query.slice(1) : query, 'query string');
}

export function withQuery(path: string, values: Record<string, string>): string {
  const encoded = encodeForm(values);
  if (encoded === '') return path;
  return `${path}${path.includes('?') ? '&' : '?'}${encoded}`;
}
