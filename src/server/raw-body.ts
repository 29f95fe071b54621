/**
 * Reads a request body into one Buffer with a hard size limit. A body over the limit (declared
 * by Content-Length or found while streaming) stops being buffered at once, but the rest is still
 * read and discarded — up to DRAIN_MAX_BYTES and DRAIN_MAX_MS — before the 413 is answered:
 * clients that write their whole body before reading the answer (Python http.client, Java
 * HttpClient) would otherwise get a connection reset instead of the answer, because closing a
 * socket with unread data makes the kernel send RST. Beyond the drain bound the answer is still
 * sent and the connection closed.
 */
import type { IncomingMessage } from 'node:http';
import { CbError } from '../errors';

/** Most bytes of an oversize body read and discarded so that its sender can get the answer. */
export const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
/** Longest time spent discarding an oversize body. */
export const DRAIN_MAX_MS = 5000;

/** CB_BODY_TOO_LARGE; `drained` says whether the whole body was read (the connection may close cleanly). */
export class BodyTooLarge extends CbError {
  constructor(
    detail: string,
    readonly drained: boolean,
  ) {
    super('CB_BODY_TOO_LARGE', detail);
  }
}

export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    const detail = `body of ${declared} bytes exceeds the ${limit}-byte limit`;
    // a body beyond the drain bound would be read for nothing: answer at once
    if (declared > DRAIN_MAX_BYTES) return Promise.reject(new BodyTooLarge(detail, false));
    return drain(req, 0, detail);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        drain(req, size, `body exceeds the ${limit}-byte limit`).then(resolve, reject);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    const onError = (e: Error): void =>
      reject(new CbError('CB_BODY_MALFORMED', `request body could not be read: ${e.message}`));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Discards the rest of an oversize body within the drain bounds, then rejects with BodyTooLarge. */
function drain(req: IncomingMessage, alreadyRead: number, detail: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    let read = alreadyRead;
    const finish = (drained: boolean): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onEnd);
      if (!drained) req.pause();
      reject(new BodyTooLarge(detail, drained));
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > DRAIN_MAX_BYTES) finish(false);
    };
    const onEnd = (): void => finish(true);
    const timer = setTimeout(() => finish(false), DRAIN_MAX_MS);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onEnd);
    if (req.readableEnded) finish(true);
  });
}
