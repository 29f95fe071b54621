/** The Dianping coupon-consume dialect: GET query or POST form, dianping-sha1 (or router MD5), status answers. */
import type { Dialect, DialectDescriptor } from '../types';
import { identify, verify } from './auth';
import { createClient } from './client';
import { answerCodes, codes } from './codes';
import { buildRequest, parse } from './codec';
import { envelope } from './envelope';
import { dianpingSha1, dianpingRouterMd5 } from './signer';
import { schemeNames } from './scheme-names';

export const dialect = {
  name: 'dianping',
  credentialKeys: { keyId: 'app_key', secret: 'secret' },
  defaultScheme: 'dianping-sha1',
  parse,
  identify,
  verify,
  buildRequest,
  envelope,
  codes,
  knownAnswerCodes: answerCodes,
  signatureMemory: true,
  createClient,
} as const satisfies Dialect;

export const descriptor = {
  dialect,
  schemes: [dianpingSha1, dianpingRouterMd5],
  upstream: {
    section: 'optional',
    required: ['scheme'],
    properties: {
      scheme: { enum: schemeNames },
      empty_values: { $ref: '#/$defs/emptyValues' },
    },
  },
} as const satisfies DialectDescriptor;
