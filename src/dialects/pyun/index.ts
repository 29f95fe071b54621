/** The P云 (4pyun) dialect: form/JSON transport, MD5 signatures, string codes, 1001 = success. */
import type { Dialect } from '../types';
import { identify, verify } from './auth';
import { createClient } from './client';
import { answerCodes, codes } from './codes';
import { buildRequest, parse } from './codec';
import { envelope } from './envelope';

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
