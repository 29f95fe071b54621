/**
 * tencent-md5: every top-level body field except `sign`, sorted, `k=v` joined with `&`, then the
 * secret appended directly (no `&`, no label); MD5 over UTF-8, upper-case hex. Numbers are their
 * JSON text and nested objects/arrays compact JSON as sent (assumption, protocols.md); null/absent
 * fields are skipped and "" is signed as `key=` unless `emptyValues: 'skip'` (assumption).
 */
import type { TencentSchemeName } from './scheme-names';
import { defineScheme, md5Hex, requireParams, SECRET_MASK, signedString } from '../shared/signing';

export const tencentMd5 = defineScheme<TencentSchemeName>(
  'tencent-md5',
  { emptyValues: 'sign' },
  (input, secret, opts) => {
    const base = signedString(requireParams(input, 'tencent-md5'), ['sign'], opts.emptyValues, {
      pair: '=',
      sep: '&',
    });
    return { stringToSign: `${base}${secret}`, maskedStringToSign: `${base}${SECRET_MASK}` };
  },
  (text) => md5Hex(text).toUpperCase(),
);
