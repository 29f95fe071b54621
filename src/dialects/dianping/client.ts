/** Dianping upstream client: form bodies (GET carries no body); answers are JSON. */
import type { ClientOptions, UpstreamClient } from '../types';
import { clientWithDefaults } from '../shared/client';
import { FORM_CONTENT_TYPE } from '../shared/form';

export function createClient(opts: ClientOptions): UpstreamClient {
  return clientWithDefaults(opts, { accept: 'application/json', bodyContentType: FORM_CONTENT_TYPE });
}
