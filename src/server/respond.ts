/** Writes a dialect answer. */
import type { ServerResponse } from 'node:http';
import type { Answer } from '../dialects/types';

export function sendAnswer(res: ServerResponse, a: Answer, extraHeaders?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(a.status, {
    'content-type': a.contentType,
    'content-length': Buffer.byteLength(a.body),
    ...extraHeaders,
  });
  res.end(a.body);
}
