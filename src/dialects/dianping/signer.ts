/**
 * Dianping's two signature schemes, selectable per partner.
 * - dianping-sha1 (classic open platform): every parameter except `appkey` and `sign`, sorted,
 *   written `k1v1k2v2…` with no separators, wrapped as appKey + … + secret; SHA-1, upper-case hex.
 *   Assumption on empty values: the platform's reference SDK appends every entry of its parameter
 *   map, so "" is signed (as the bare key) by default; `emptyValues: 'skip'` drops it instead.
 * - dianping-router-md5 (newer router): every parameter except `sign`, sorted, `k1v1…`, wrapped as
 *   secret + … + secret; MD5, lower-case hex. Assumption on empty values: the router follows the
 *   TOP-style convention of leaving empty values out, so "" is skipped by default.
 */
import type { DianpingSchemeName } from './scheme-names';
import { defineScheme, md5Hex, requireParams, SECRET_MASK, sha1Hex, signedString } from '../shared/signing';

export const dianpingSha1 = defineScheme<DianpingSchemeName>(
  'dianping-sha1',
  { emptyValues: 'sign' },
  (input, secret, opts) => {
    if (typeof input.appKey !== 'string' || input.appKey === '') {
      throw new Error('scheme dianping-sha1 prefixes the appKey: appKey must be a non-empty string');
    }
    const body = signedString(requireParams(input, 'dianping-sha1'), ['appkey', 'sign'], opts.emptyValues, {
      pair: '',
      sep: '',
    });
    return {
      stringToSign: `${input.appKey}${body}${secret}`,
      maskedStringToSign: `${input.appKey}${body}${SECRET_MASK}`,
    };
  },
  (text) => sha1Hex(text).toUpperCase(),
);

export const dianpingRouterMd5 = defineScheme<DianpingSchemeName>(
  'dianping-router-md5',
  { emptyValues: 'skip' },
  (input, secret, opts) => {
    const body = signedString(requireParams(input, 'dianping-router-md5'), ['sign'], opts.emptyValues, {
      pair: '',
      sep: '',
    });
    return {
      stringToSign: `${secret}${body}${secret}`,
      maskedStringToSign: `${SECRET_MASK}${body}${SECRET_MASK}`,
    };
  },
  md5Hex,
);
