/**
 * A dialect's upstream client: the shared HTTP client plus the headers that dialect always sends
 * (Accept, and a Content-Type for bodies built without one). Headers set on the request win.
 */
import { createHttpClient } from '../../http/client';
import type { ClientOptions, UpstreamClient } from '../types';

export function clientWithDefaults(
  opts: ClientOptions,
  defaults: { accept: string; bodyContentType: string },
): UpstreamClient {
  const http = createHttpClient(opts);
  return {
    send(req, callOpts) {
      const present = new Set(Object.keys(req.headers).map((h) => h.toLowerCase()));
      const headers: Record<string, string> = {};
      if (!present.has('accept')) headers.accept = defaults.accept;
      if (req.body !== undefined && !present.has('content-type'))
        headers['content-type'] = defaults.bodyContentType;
      return http.send({ ...req, headers: { ...headers, ...req.headers } }, callOpts);
    },
    close: () => http.close(),
  };
}
