/** Sends a request built by a dialect (or by hand) to a sandbox URL and reads the answer. */
import type { OutboundRequest } from '../../src/dialects/types';

export interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

export async function send(
  base: string,
  req: Pick<OutboundRequest, 'method' | 'path' | 'headers' | 'body'>,
): Promise<Reply> {
  const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // non-JSON answers (faults) are asserted through `text`
  }
  return { status: res.status, text, json };
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };
