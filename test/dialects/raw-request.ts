/** Test helper: turns a built outbound request into the RawRequest a receiving server would see. */
import type { OutboundRequest, RawRequest } from '../../src/dialects/types';

export function received(out: OutboundRequest): RawRequest {
  const q = out.path.indexOf('?');
  return {
    method: out.method,
    path: q < 0 ? out.path : out.path.slice(0, q),
    query: q < 0 ? '' : out.path.slice(q + 1),
    headers: Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Buffer.from(out.body ?? '', 'utf8'),
  };
}

export function rawRequest(
  partial: Omit<Partial<RawRequest>, 'body'> & { body?: Buffer | string },
): RawRequest {
  const body = partial.body ?? '';
  return {
    method: partial.method ?? 'POST',
    path: partial.path ?? '/',
    query: partial.query ?? '',
    headers: partial.headers ?? {},
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}
