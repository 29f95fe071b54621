/** The Tencent 出行服务 SP coupon dialect: POST JSON, tencent-md5, integer codes, 0 = success. */
import type { Dialect, DialectDescriptor } from '../types';
import { identify, verify } from './auth';
import { createClient } from './client';
import { answerCodes, codes } from './codes';
import { buildRequest, parse } from './codec';
import { envelope } from './envelope';
import { tencentMd5 } from './signer';

export const dialect = {
  name: 'tencent',
  credentialKeys: { keyId: 'api_key', secret: 'secret' },
  defaultScheme: 'tencent-md5',
  parse,
  identify,
  verify,
  buildRequest,
  envelope,
  codes,
  knownAnswerCodes: answerCodes,
  replay: { timestampField: 'timestamp', nonceField: 'nonce' },
  createClient,
} as const satisfies Dialect;

export const descriptor = {
  dialect,
  schemes: [tencentMd5],
  upstream: {
    section: 'optional',
    properties: {
      empty_values: { $ref: '#/$defs/emptyValues' },
    },
  },
} as const satisfies DialectDescriptor;
