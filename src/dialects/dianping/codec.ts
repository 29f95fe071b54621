/**
 * Dianping transport: GET with a query string, or POST with a form body (a missing Content-Type
 * is read as a form; a POST with an empty body and a query is read from the query, as some POS
 * clients send it). Outbound, per the credentials' scheme:
 * - dianping-sha1: `appkey` + `sign`;
 * - dianping-router-md5: `app_key`, `timestamp` (Beijing time `yyyy-MM-dd HH:mm:ss`, the router's
 *   TOP-style format — assumption), `format=json`, `v=1`, `sign_method=MD5`, `sign`.
 * GET puts everything in the query string, POST in a form body.
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
import { bodyText, declaredKind } from '../shared/media';
import { formMessage, isBodyless, omit, queryMessage } from '../shared/message';
import { withQuery } from '../shared/query';
import { dianpingRouterMd5, dianpingSha1 } from './signer';

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

export function parse(req: RawRequest): ParsedMessage {
  if (isBodyless(req.method)) return queryMessage(req);
  declaredKind(req.headers, ['form']);
  const text = bodyText(req.body);
  if (text === '' && req.query !== '') return queryMessage(req);
  return formMessage(text);
}

function beijingTime(now: Date): string {
  return new Date(now.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

function signedValues(
  fields: Record<string, unknown>,
  creds: Credentials,
  now: Date,
): { wire: Record<string, string>; signature: Signature } {
  if (creds.scheme === 'dianping-router-md5') {
    const common = ['app_key', 'timestamp', 'format', 'v', 'sign_method', 'sign'];
    const values = {
      app_key: creds.keyId,
      timestamp: beijingTime(now),
      format: 'json',
      v: '1',
      sign_method: 'MD5',
      ...formValues(omit(fields, common)),
    };
    const signature = dianpingRouterMd5.sign({ params: values }, creds.secret, creds.schemeOptions);
    return { wire: { ...values, sign: signature.sign }, signature };
  }
  const values = formValues(omit(fields, ['appkey', 'sign']));
  const signature = dianpingSha1.sign(
    { params: values, appKey: creds.keyId },
    creds.secret,
    creds.schemeOptions,
  );
  return { wire: { appkey: creds.keyId, ...values, sign: signature.sign }, signature };
}

export function buildRequest(
  endpoint: { method: 'GET' | 'POST'; path: string; encoding: BodyEncoding },
  fields: Record<string, unknown>,
  creds: Credentials,
  now: Date = new Date(),
): OutboundRequest & { signature: Signature; message: Record<string, unknown> } {
  const { wire, signature } = signedValues(fields, creds, now);
  if (endpoint.method === 'GET') {
    return { method: 'GET', path: withQuery(endpoint.path, wire), headers: {}, signature, message: wire };
  }
  const headers = { 'content-type': FORM_CONTENT_TYPE };
  return { method: 'POST', path: endpoint.path, headers, body: encodeForm(wire), signature, message: wire };
}
