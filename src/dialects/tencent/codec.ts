/**
 * Tencent 出行服务 transport: POST with a JSON body (a missing Content-Type is read as JSON).
 * Outbound: the common parameters `api_key`, `seq_id`, `timestamp` (epoch seconds), `nonce` and
 * `sign` (tencent-md5) go first in the body. A `seq_id` already in the fields is kept, so a retried
 * delivery carries the same id; otherwise a fresh UUID. The signature is computed over the same
 * values JSON.stringify writes, so the receiver's raw-text view reproduces it.
 */
import type {
  BodyEncoding,
  Credentials,
  Entropy,
  OutboundRequest,
  ParsedMessage,
  RawRequest,
  Signature,
} from '../types';
import { JSON_CONTENT_TYPE } from '../shared/answer';
import { systemEntropy } from '../shared/entropy';
import { formValues } from '../shared/form';
import { bodyText, declaredKind } from '../shared/media';
import { jsonMessage, omit } from '../shared/message';
import { withQuery } from '../shared/query';
import { tencentMd5 } from './signer';

export function parse(req: RawRequest): ParsedMessage {
  declaredKind(req.headers, ['json']);
  return jsonMessage(bodyText(req.body));
}

export function buildRequest(
  endpoint: { method: 'GET' | 'POST'; path: string; encoding: BodyEncoding },
  fields: Record<string, unknown>,
  creds: Credentials,
  now: Date = new Date(),
  entropy: Entropy = systemEntropy,
): OutboundRequest & { signature: Signature; message: Record<string, unknown> } {
  const seqId = typeof fields.seq_id === 'string' && fields.seq_id !== '' ? fields.seq_id : entropy.uuid();
  const message = {
    api_key: creds.keyId,
    seq_id: seqId,
    timestamp: String(Math.floor(now.getTime() / 1000)),
    // 16 random digits: the published examples use numeric nonces
    nonce: entropy.digits(16),
    ...omit(fields, ['api_key', 'seq_id', 'timestamp', 'nonce', 'sign']),
  };
  const signature = tencentMd5.sign({ params: message }, creds.secret, creds.schemeOptions);
  const signed = { ...message, sign: signature.sign };
  if (endpoint.method === 'GET') {
    const wire = formValues(signed);
    return { method: 'GET', path: withQuery(endpoint.path, wire), headers: {}, signature, message: wire };
  }
  const headers = { 'content-type': JSON_CONTENT_TYPE };
  return {
    method: 'POST',
    path: endpoint.path,
    headers,
    body: JSON.stringify(signed),
    signature,
    message: signed,
  };
}
