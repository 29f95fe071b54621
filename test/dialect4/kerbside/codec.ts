/**
 * kerbside transport: POST JSON only. Outbound: the business fields plus `merchant_id`, `ts`
 * (epoch seconds) and `signature` (kerbside-sha256), all at the top level.
 */
import type {
  BodyEncoding,
  Credentials,
  OutboundRequest,
  ParsedMessage,
  RawRequest,
  Signature,
} from '../../../src/dialects/types';
import { CbError } from '../../../src/errors';
import { JSON_CONTENT_TYPE } from '../../../src/dialects/shared/answer';
import { jsonMessage, omit } from '../../../src/dialects/shared/message';
import { kerbsideSha256 } from './signer';

export function parse(req: RawRequest): ParsedMessage {
  if (req.method.toUpperCase() !== 'POST') throw new CbError('CB_METHOD_NOT_ALLOWED', 'kerbside: POST only');
  return jsonMessage(req.body.toString('utf8'));
}

export function identify(msg: ParsedMessage): string | undefined {
  return msg.signingParams.merchant_id || undefined;
}

export function verify(msg: ParsedMessage, _req: RawRequest, creds: Credentials) {
  const params = msg.signingParams;
  return kerbsideSha256.verify({ params }, creds.secret, params.signature ?? '', creds.schemeOptions);
}

export function buildRequest(
  endpoint: { method: 'GET' | 'POST'; path: string; encoding: BodyEncoding },
  fields: Record<string, unknown>,
  creds: Credentials,
  now: Date = new Date(),
): OutboundRequest & { signature: Signature; message: Record<string, unknown> } {
  const unsigned = {
    ...omit(fields, ['merchant_id', 'ts', 'signature']),
    merchant_id: creds.keyId,
    ts: Math.floor(now.getTime() / 1000),
  };
  const signature = kerbsideSha256.sign({ params: unsigned }, creds.secret, creds.schemeOptions);
  const message = { ...unsigned, signature: signature.sign };
  const headers = { 'content-type': JSON_CONTENT_TYPE };
  return { method: 'POST', path: endpoint.path, headers, body: JSON.stringify(message), signature, message };
}
