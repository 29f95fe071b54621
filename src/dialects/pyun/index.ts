/** The P云 (4pyun) dialect: form/JSON transport, MD5 signatures, string codes, 1001 = success. */
import type { Dialect, DialectDescriptor } from '../types';
import { identify, verify } from './auth';
import { createClient } from './client';
import { answerCodes, codes } from './codes';
import { buildRequest, parse } from './codec';
import { envelope } from './envelope';
import { pyunFormMd5, pyunJsonMd5, pyunJsonPushMd5 } from './signer';

export const dialect = {
  name: 'pyun',
  credentialKeys: { keyId: 'app_id', secret: 'app_secret' },
  defaultScheme: 'pyun-form-md5',
  parse,
  identify,
  verify,
  buildRequest,
  envelope,
  codes,
  knownAnswerCodes: answerCodes,
  createClient,
} as const satisfies Dialect;

const PUSH_SECRET_WARNING =
  'push_secret not set: P云 payment pushes are verified with app_secret, the secret couponbridge signs its own P云 calls with';

export const descriptor = {
  dialect,
  schemes: [pyunFormMd5, pyunJsonMd5, pyunJsonPushMd5],
  upstream: {
    section: 'required',
    required: ['base_url', 'connections', 'coupon_value_unit_for_time'],
    properties: {
      push_secret: {
        $ref: '#/$defs/secret',
        description: 'Secret P云 signs its payment pushes with; absent: app_secret (with a startup warning).',
      },
      connections: { type: 'integer', minimum: 1, description: 'Keep-alive pool size.' },
      coupon_value_unit_for_time: {
        enum: ['fen', 'minutes'],
        description:
          'Unit of grant/sync coupon_value for time coupons (the seed says 分; some parks use minutes).',
      },
    },
    warnings: (section) => (section.push_secret === undefined ? [PUSH_SECRET_WARNING] : []),
  },
  // Legacy systems holding P云-style credentials reach P云's open API under /pyun/gate/…
  passthrough: { prefix: '/gate', timestampField: 'timestamp' },
} as const satisfies DialectDescriptor;
