/** Who is calling in Tencent terms (`api_key`), and whether its tencent-md5 signature holds. */
import type { Credentials, ParsedMessage, RawRequest, VerifyOutcome } from '../types';
import { tencentMd5 } from './signer';

export function identify(msg: ParsedMessage, _req?: RawRequest): string | undefined {
  return msg.signingParams.api_key || undefined;
}

export function verify(msg: ParsedMessage, _req: RawRequest, creds: Credentials): VerifyOutcome {
  const params = msg.signingParams;
  return tencentMd5.verify({ params }, creds.secret, params.sign ?? '', creds.schemeOptions);
}
