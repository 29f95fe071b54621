/**
 * The signature schemes by name. Typed as a Record over SchemeName, so adding a name to the union
 * without a scheme fails to compile; `getScheme` is what config loading and the CLI call, and it
 * rejects an unknown name with the list of known ones.
 */
import type { SchemeName, SignatureScheme } from './types';
import { dianpingRouterMd5, dianpingSha1 } from './dianping/signer';
import { pyunFormMd5, pyunJsonMd5, pyunJsonPushMd5 } from './pyun/signer';
import { tencentMd5 } from './tencent/signer';

export const schemes: Record<SchemeName, SignatureScheme> = {
  'pyun-form-md5': pyunFormMd5,
  'pyun-json-md5': pyunJsonMd5,
  'pyun-json-push-md5': pyunJsonPushMd5,
  'tencent-md5': tencentMd5,
  'dianping-sha1': dianpingSha1,
  'dianping-router-md5': dianpingRouterMd5,
};

export const schemeNames = Object.keys(schemes) as SchemeName[];

export function isSchemeName(name: unknown): name is SchemeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(schemes, name);
}

export function getScheme(name: string): SignatureScheme {
  if (!isSchemeName(name)) {
    throw new Error(
      `unknown signature scheme ${JSON.stringify(name)}; known schemes: ${schemeNames.join(', ')}`,
    );
  }
  return schemes[name];
}
