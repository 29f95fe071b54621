/**
 * Content types and body text. Bodies are UTF-8 (all three platforms say so); another declared
 * charset is refused rather than guessed, and bytes that are not valid UTF-8 are a malformed body.
 * A request without Content-Type is read in the dialect's own encoding (legacy clients often omit
 * it); a Content-Type naming another encoding is CB_UNSUPPORTED_MEDIA_TYPE.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { TextDecoder } from 'node:util';
import { CbError } from '../../errors';

export type BodyKind = 'json' | 'form';

const KIND_OF: Record<string, BodyKind> = {
  'application/json': 'json',
  'text/json': 'json',
  'application/x-www-form-urlencoded': 'form',
};

const MEDIA_TYPE_OF: Record<BodyKind, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
};

/**
 * The body kind the Content-Type declares, among `allowed`; undefined when the header is absent.
 * Throws CB_UNSUPPORTED_MEDIA_TYPE for any other type or a charset other than UTF-8.
 */
export function declaredKind(
  headers: IncomingHttpHeaders,
  allowed: readonly BodyKind[],
): BodyKind | undefined {
  const header = headers['content-type'];
  if (header === undefined || header.trim() === '') return undefined;
  const [type, ...parameters] = header.split(';').map((p) => p.trim());
  const mediaType = type.toLowerCase();
  const kind = KIND_OF[mediaType] ?? (mediaType.endsWith('+json') ? 'json' : undefined);
  if (kind === undefined || !allowed.includes(kind)) {
    throw new CbError(
      'CB_UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${mediaType} not accepted here; expected ${allowed.map((k) => MEDIA_TYPE_OF[k]).join(' or ')}`,
    );
  }
  const charset = parameters
    .map((p) => p.split('='))
    .find(([name]) => name.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"|"$/g, '')
    .toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new CbError('CB_UNSUPPORTED_MEDIA_TYPE', `charset ${charset} not supported; send UTF-8`);
  }
  return kind;
}

// stateless without { stream: true }: one decoder serves every body
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new CbError('CB_BODY_MALFORMED', 'body is not valid UTF-8');
  }
}
