/**
 * kerbside-sha256: every top-level field except `signature`, sorted, `k=v` joined with `\n`, then
 * `\nkey=<secret>`; SHA-256, lower-case hex. Nothing like any built-in scheme, so that a test
 * passing through it shows the core never assumed one of theirs.
 */
import { createHash } from 'node:crypto';
import {
  defineScheme,
  requireParams,
  SECRET_MASK,
  signedEntries,
} from '../../../src/dialects/shared/signing';

export const kerbsideSha256 = defineScheme(
  'kerbside-sha256',
  { emptyValues: 'skip' },
  (input, secret, opts) => {
    const base = signedEntries(requireParams(input, 'kerbside-sha256'), ['signature'], opts.emptyValues)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    return { stringToSign: `${base}\nkey=${secret}`, maskedStringToSign: `${base}\nkey=${SECRET_MASK}` };
  },
  (text) => createHash('sha256').update(text, 'utf8').digest('hex'),
);
