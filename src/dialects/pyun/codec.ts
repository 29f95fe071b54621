/**
 * P云 transport. Inbound: GET → query; POST → form (the documented transport) or JSON, decided by
 * Content-Type, or when it is absent by the first character of the body. Outbound: adds `app_id`,
 * `timestamp` (epoch ms), `sign_type=MD5` and `sign` (pyun-form-md5) to a form body or a query;
 * for a JSON endpoint the same common fields go into the body and the pyun-json-md5 signature into
 * the Authorization header, as P云's JSON-body APIs expect (so the returned `message`, the body
 * as sent, has no `sign` in that case).
 */
import type {
  BodyEncoding,
  Credentials,
  OutboundRequest,
  ParsedMessage,
  RawRequest,
  Signature,
} from '../types';
import { encodeForm, FORM_CONTENT_TYPE, formValues } from '../shared/form';
import { JSON_CONTENT_TYPE } from '../shared/answer';
import { bodyText, declaredKind } from '../shared/media';
import { formMessage, isBodyless, jsonMessage, omit, queryMessage } from '../shared/message';
import { withQuery } from '../shared/query';
import { pyunFormMd5, pyunJsonMd5 } from './signer';

export function parse(req: RawRequest): ParsedMessage {
  if (isBodyless(req.method)) return queryMessage(req);
  const declared = declaredKind(req.headers, ['form', 'json']);
  const text = bodyText(req.body);
  const kind = declared ?? (text.trimStart().startsWith('{') ? 'json' : 'form');
  return kind === 'json' ? jsonMessage(text) : formMessage(text);
}

/** The common parameters buildRequest sets itself (any in the fields are replaced). */
const COMMON = ['app_id', 'timestamp', 'sign_type', 'sign'];

export function buildRequest(
  endpoint: { method: 'GET' | 'POST'; path: string; encoding: BodyEncoding },
  fields: Record<string, unknown>,
  creds: Credentials,
  now: Date = new Date(),
): OutboundRequest & { signature: Signature; message: Record<string, unknown> } {
  const message = omit(fields, COMMON);
  message.app_id = creds.keyId;
  message.timestamp = String(now.getTime());
  message.sign_type = 'MD5';
  if (endpoint.method === 'POST' && endpoint.encoding === 'json') {
    const body = JSON.stringify(message);
    const signature = pyunJsonMd5.sign({ body }, creds.secret);
    const headers = { 'content-type': JSON_CONTENT_TYPE, authorization: signature.sign };
    return { method: 'POST', path: endpoint.path, headers, body, signature, message };
  }
  const wire: Record<string, string> = formValues(message);
  const signature = pyunFormMd5.sign({ params: wire }, creds.secret, creds.schemeOptions);
  // `sign` last, after the values it signs
  wire.sign = signature.sign;
  if (endpoint.method === 'GET' || endpoint.encoding === 'query') {
    return {
      method: endpoint.method,
      path: withQuery(endpoint.path, wire),
      headers: {},
      signature,
      message: wire,
    };
  }
  const headers = { 'content-type': FORM_CONTENT_TYPE };
  return { method: 'POST', path: endpoint.path, headers, body: encodeForm(wire), signature, message: wire };
}
