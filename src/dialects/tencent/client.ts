/** Tencent upstream client: JSON bodies and answers. */
import type { ClientOptions, UpstreamClient } from '../types';
import { JSON_CONTENT_TYPE } from '../shared/answer';
import { clientWithDefaults } from '../shared/client';

export function createClient(opts: ClientOptions): UpstreamClient {
  return clientWithDefaults(opts, { accept: 'application/json', bodyContentType: JSON_CONTENT_TYPE });
}
