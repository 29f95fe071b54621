/**
 * Reads a request body into one Buffer with a hard size limit. A declared Content-Length over
 * the limit is refused before reading; a streamed body stops being buffered at the limit.
 */
import type { IncomingMessage } from 'node:http';
import { CbError } from '../errors';

export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(
      new CbError('CB_BODY_TOO_LARGE', `body of ${declared} bytes exceeds the ${limit}-byte limit`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new CbError('CB_BODY_TOO_LARGE', `body exceeds the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!failed) reject(new CbError('CB_BODY_MALFORMED', `request body could not be read: ${e.message}`));
    });
  });
}
