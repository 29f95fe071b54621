/**
 * kerbside: a fourth dialect that lives entirely under test/ (a kerbside parking operator issuing
 * vouchers and redeeming P云 coupons). Everything the core needs is in this descriptor; nothing in
 * src/ names it.
 */
import type { Dialect, DialectDescriptor } from '../../../src/dialects/types';
import { clientWithDefaults } from '../../../src/dialects/shared/client';
import { JSON_CONTENT_TYPE } from '../../../src/dialects/shared/answer';
import { answerCodes, codes } from './codes';
import { buildRequest, identify, parse, verify } from './codec';
import { envelope } from './envelope';
import { kerbsideSha256 } from './signer';

export const NAME = 'kerbside';

export const dialect: Dialect = {
  name: NAME,
  credentialKeys: { keyId: 'merchant_id', secret: 'merchant_key' },
  defaultScheme: kerbsideSha256.name,
  parse,
  identify,
  verify,
  buildRequest,
  envelope,
  codes,
  knownAnswerCodes: answerCodes,
  createClient: (opts) =>
    clientWithDefaults(opts, { accept: 'application/json', bodyContentType: JSON_CONTENT_TYPE }),
};

export const descriptor: DialectDescriptor = {
  dialect,
  schemes: [kerbsideSha256],
  upstream: {
    section: 'optional',
    required: ['base_url'],
    properties: { region: { enum: ['north', 'south'], description: 'Which kerbside cluster.' } },
    defaults: { timeout_ms: 1500, max_in_flight: 16, region: 'north' },
    warnings: (section) => (section.region === 'south' ? ['the south cluster is read-only on Sundays'] : []),
  },
};
