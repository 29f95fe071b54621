/**
 * Who is calling in P云 terms, and whether its signature holds. The message decides the scheme:
 * a JSON body with an Authorization header is pyun-json-md5 over the exact body; a JSON body
 * without it is a push signed inside (pyun-json-push-md5, nested values canonicalised with sorted
 * keys but numbers kept as sent); form and query use pyun-form-md5 over the raw received values,
 * unknown extra fields included.
 */
import type { Credentials, ParsedMessage, RawRequest, VerifyOutcome } from '../types';
import { parseJsonObject } from '../shared/json';
import { headerValue } from '../shared/message';
import { pyunFormMd5, pyunJsonMd5, pyunJsonPushMd5 } from './signer';

export function identify(msg: ParsedMessage, _req?: RawRequest): string | undefined {
  return msg.signingParams.app_id || undefined;
}

export function verify(msg: ParsedMessage, req: RawRequest, creds: Credentials): VerifyOutcome {
  const authorization = headerValue(req.headers.authorization);
  if (msg.encoding === 'json' && authorization !== undefined) {
    return pyunJsonMd5.verify({ body: msg.rawBody }, creds.secret, authorization);
  }
  if (msg.encoding === 'json') {
    const params = parseJsonObject(msg.rawBody, { sortNested: true }).signingParams;
    return pyunJsonPushMd5.verify({ params }, creds.secret, params.sign ?? '', creds.schemeOptions);
  }
  const params = msg.signingParams;
  return pyunFormMd5.verify({ params }, creds.secret, params.sign ?? '', creds.schemeOptions);
}
