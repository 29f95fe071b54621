/**
 * What the Dianping end-to-end tests share: a POS client that signs (dianping-sha1) and sends a
 * message by GET query or POST form, a second POS partner with a default park, ledger seeding,
 * and the P云 redeem calls the sandbox received.
 */
import { request } from 'undici';
import { getDialect, parseForm } from '../../src/dialects';
import type { Credentials } from '../../src/dialects/types';
import { GRANT_SYNC_PATH } from '../../src/sandbox';
import type { CouponRecord } from '../../src/store/types';
import { creds, type Stack } from '../support/stack';

export const posCreds: Credentials = {
  keyId: creds.pos.app_key,
  secret: creds.pos.secret,
  scheme: 'dianping-sha1',
};

/** A POS whose configuration names a default park (pos-test has none). */
export const parkPos = { id: 'pos-park', park: 'park-dianping-default' };
export const parkPosCreds: Credentials = {
  keyId: 'pospark',
  secret: 'pos-park-secret-000001',
  scheme: 'dianping-sha1',
};
export const parkPosYaml = `  - { id: ${parkPos.id}, dialect: dianping, app_key: ${parkPosCreds.keyId}, secret: ${parkPosCreds.secret}, defaults: { park_uuid: ${parkPos.park} } }`;

export interface SendOptions {
  method?: 'GET' | 'POST';
  creds?: Credentials;
  tamper?: (wire: string) => string;
}

export async function dianping(
  stack: Stack,
  path: string,
  fields: Record<string, unknown>,
  o: SendOptions = {},
): Promise<{ status: number; body: string; json: any }> {
  const method = o.method ?? 'POST';
  const endpoint = { method, path, encoding: method === 'GET' ? 'query' : 'form' } as const;
  const built = getDialect('dianping').buildRequest(endpoint, fields, o.creds ?? parkPosCreds);
  const tamper = o.tamper ?? ((s: string) => s);
  if (method === 'POST') return stack.post(path, tamper(built.body!), built.headers);
  const res = await request(`${stack.url}${tamper(built.path)}`, { method: 'GET' });
  const body = await res.body.text();
  return { status: res.statusCode, body, json: JSON.parse(body) };
}

/** The grant/sync redeem forms P云 received, oldest first. */
export function redeems(stack: Stack): Record<string, string>[] {
  return stack.sandbox.requests({ target: 'pyun', path: GRANT_SYNC_PATH }).map((r) => parseForm(r.body));
}

let seq = 0;
export function uniq(prefix: string): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq}`;
}

/** Puts an available coupon of `partner` (default: the POS the tests send as) in the ledger. */
export async function seedCoupon(
  stack: Stack,
  couponCode: string,
  o: { faceValue?: number; grantSerial?: string; parkUuid?: string; partner?: string } = {},
): Promise<CouponRecord> {
  const { coupon } = await stack.running.rt.store.upsertCoupon(
    {
      id: `seed:${couponCode}`,
      stockId: 'cb-demo-001',
      partner: o.partner ?? parkPos.id,
      couponCode,
      grantSerial: o.grantSerial ?? `G-${couponCode}`,
      parkUuid: o.parkUuid ?? 'park-from-ledger',
      faceValue: o.faceValue,
      state: 'available',
    },
    { actor: 'test', at: new Date() },
  );
  return coupon;
}
