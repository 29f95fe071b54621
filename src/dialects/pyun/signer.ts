/**
 * P云's three signature schemes (MD5, upper-case hex, compared case-insensitively).
 * - pyun-form-md5: form/query requests and pushes. Every parameter except `sign`, empty values
 *   (null, absent, "") dropped, sorted, `k=v` joined with `&` over the raw values (never
 *   URL-encoded), then `&app_secret=<secret>`.
 * - pyun-json-md5: JSON-body requests; the exact body text + `&app_secret=<secret>`, carried in
 *   the Authorization header.
 * - pyun-json-push-md5: JSON-body pushes carrying `sign` inside; the form rule over the top-level
 *   keys, nested objects/arrays written as compact JSON with keys sorted recursively.
 */
import type { PyunSchemeName } from './scheme-names';
import {
  defineScheme,
  md5Hex,
  requireParams,
  SECRET_MASK,
  signedString,
  type Builder,
} from '../shared/signing';

const upperMd5 = (text: string): string => md5Hex(text).toUpperCase();

function formBuilder(name: PyunSchemeName, sortKeys: boolean): Builder {
  return (input, secret, opts) => {
    const base = signedString(requireParams(input, name), ['sign'], opts.emptyValues, {
      pair: '=',
      sep: '&',
      sortKeys,
    });
    return {
      stringToSign: `${base}&app_secret=${secret}`,
      maskedStringToSign: `${base}&app_secret=${SECRET_MASK}`,
    };
  };
}

export const pyunFormMd5 = defineScheme<PyunSchemeName>(
  'pyun-form-md5',
  { emptyValues: 'skip' },
  formBuilder('pyun-form-md5', false),
  upperMd5,
);

export const pyunJsonPushMd5 = defineScheme<PyunSchemeName>(
  'pyun-json-push-md5',
  { emptyValues: 'skip' },
  formBuilder('pyun-json-push-md5', true),
  upperMd5,
);

export const pyunJsonMd5 = defineScheme<PyunSchemeName>(
  'pyun-json-md5',
  { emptyValues: 'skip' },
  (input, secret) => {
    if (typeof input.body !== 'string')
      throw new Error('scheme pyun-json-md5 signs the raw body: body must be a string');
    return {
      stringToSign: `${input.body}&app_secret=${secret}`,
      maskedStringToSign: `${input.body}&app_secret=${SECRET_MASK}`,
    };
  },
  upperMd5,
);
