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
      let accept = false;
      let contentType = false;
      for (const h of Object.keys(req.headers)) {
        const name = h.toLowerCase();
        accept ||= name === 'accept';
        contentType ||= name === 'content-type';
      }
      const headers: Record<string, string> = {};
      if (!accept) headers.accept = defaults.accept;
      if (req.body !== undefined && !contentType) headers['content-type'] = defaults.bodyContentType;
      return http.send({ ...req, headers: { ...headers, ...req.headers } }, callOpts);
    },
    close: () => http.close(),
  };
}
