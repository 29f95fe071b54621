/**
 * Where a row goes and who signs it. `destination` names either
 *  - an upstream — `pyun`, `tencent`, `dianping` (the dialect names, reserved): that upstream's
 *    base_url and couponbridge's own credentials there, over the runtime's keep-alive client; or
 *  - a partner id (or `partner:<id>` when the id is also an upstream name): the partner's
 *    `notify.base_url`, signed with the partner's own key id and secret (the secret it shares with
 *    couponbridge) and scheme, over a keep-alive client created here on first use (pool size =
 *    concurrency_per_destination, timeout = the partner dialect's upstream timeout_ms, else 5 s)
 *    and closed by `close()`.
 * A destination that cannot be reached as configured (unknown partner, no notify.base_url, no
 * upstream base_url) is a retryable failure: the row waits through the retry schedule with
 * last_error saying what is missing, so an operator can fix the config and restart; after the
 * last attempt it is dead and `outbox replay` sends it again.
 */
import { dialectNames, getDialect } from '../dialects';
import type { ClientOptions, Credentials, Dialect, UpstreamClient } from '../dialects/types';
import type { Partner, Runtime } from '../runtime';

const DEFAULT_TIMEOUT_MS = 5000;
const PARTNER_PREFIX = 'partner:';

export interface Destination {
  name: string;
  /** The partner id, or the upstream name. */
  party: string;
  dialect: Dialect;
  creds: Credentials;
  baseUrl: string;
  client: UpstreamClient;
  timeoutMs: number;
  /** partner.defaults.* for the notify mapping ({} for an upstream). */
  defaults: Record<string, unknown>;
}

/** Resolution failed for a reason that configuration can fix: retry. */
export class UnreachableDestination extends Error {}

/** The destination string a producer should store for a partner. */
export function partnerDestination(partnerId: string): string {
  return (dialectNames as string[]).includes(partnerId) ? `${PARTNER_PREFIX}${partnerId}` : partnerId;
}

export class Destinations {
  private readonly clients = new Map<string, UpstreamClient>();

  constructor(
    private readonly rt: Runtime,
    private readonly connections: number,
    /** How a partner's client is made (the contract tests pass a fake that calls nothing). */
    private readonly createClient = (dialect: string, o: ClientOptions): UpstreamClient =>
      getDialect(dialect).createClient(o),
  ) {}

  resolve(name: string): Destination {
    if (!name.startsWith(PARTNER_PREFIX) && (dialectNames as string[]).includes(name))
      return this.upstream(name);
    return this.partner(name.startsWith(PARTNER_PREFIX) ? name.slice(PARTNER_PREFIX.length) : name, name);
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }

  private upstream(name: string): Destination {
    const u = this.rt.upstreams.get(name);
    if (!u) throw new UnreachableDestination(`no upstream "${name}" configured (upstreams.${name}.base_url)`);
    return {
      name,
      party: name,
      dialect: u.dialect,
      creds: u.creds,
      baseUrl: u.baseUrl,
      client: u.client,
      timeoutMs: u.timeoutMs,
      defaults: {},
    };
  }

  private partner(id: string, name: string): Destination {
    const p = findPartner(this.rt, id);
    if (!p) throw new UnreachableDestination(`no partner "${id}" configured (partners[].id)`);
    const baseUrl = p.config.notify?.base_url;
    if (!baseUrl) throw new UnreachableDestination(`partner "${id}" has no notify.base_url`);
    const timeoutMs = this.rt.upstreams.get(p.dialect.name)?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const key = `${id}\u0000${baseUrl}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.createClient(p.dialect.name, { baseUrl, timeoutMs, connections: this.connections });
      this.clients.set(key, client);
    }
    return {
      name,
      party: id,
      dialect: p.dialect,
      creds: p.creds,
      baseUrl,
      client,
      timeoutMs,
      defaults: p.defaults,
    };
  }
}

function findPartner(rt: Runtime, id: string): Partner | undefined {
  for (const p of rt.partners.values()) if (p.id === id) return p;
  return undefined;
}
