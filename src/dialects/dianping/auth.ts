/**
 * Who is calling in Dianping terms (`appkey`, or `app_key` on the router scheme), and whether its
 * signature holds under the scheme configured for that partner. The classic scheme's appKey
 * prefix is the configured key id: the partner was looked up by the key it sent.
 */
import type { Credentials, ParsedMessage, RawRequest, VerifyOutcome } from '../types';
import { dianpingRouterMd5, dianpingSha1 } from './signer';

export function identify(msg: ParsedMessage, _req?: RawRequest): string | undefined {
  return msg.signingParams.appkey || msg.signingParams.app_key || undefined;
}

export function verify(msg: ParsedMessage, _req: RawRequest, creds: Credentials): VerifyOutcome {
  const params = msg.signingParams;
  const received = params.sign ?? '';
  if (creds.scheme === 'dianping-router-md5') {
    return dianpingRouterMd5.verify({ params }, creds.secret, received, creds.schemeOptions);
  }
  return dianpingSha1.verify({ params, appKey: creds.keyId }, creds.secret, received, creds.schemeOptions);
}
