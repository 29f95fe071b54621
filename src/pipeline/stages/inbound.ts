/**
 * Inbound stages: parse → identify → verify → replay → validate. Each is a plain function
 * of the exchange that either records its result on it or throws a CbError.
 */
import { CbError } from '../../errors';
import { formatDiagnostics } from '../../schema/registry';
import { checkReplay } from '../../ledger/replay-guard';
import { partnerKey, type Partner } from '../../runtime';
import type { Exchange } from '../context';

export function parse(x: Exchange): void {
  x.msg = x.route.dialect.parse(x.raw);
}

export function identify(x: Exchange): void {
  const d = x.route.dialect;
  const keyId = d.identify(x.msg!, x.raw);
  if (!keyId) throw new CbError('CB_UNKNOWN_PARTNER', `${d.credentialKeys.keyId} missing`);
  if (x.route.doc.inbound.caller === 'upstream') {
    x.partner = upstreamAsCaller(x, keyId);
    return;
  }
  const partner = x.rt.partners.get(partnerKey(d.name, keyId));
  if (!partner)
    throw new CbError('CB_UNKNOWN_PARTNER', `no ${d.name} partner with ${d.credentialKeys.keyId} "${keyId}"`);
  x.partner = partner;
}

/** The platform itself calling (P云 pushes): it signs with couponbridge's credentials at that upstream. */
function upstreamAsCaller(x: Exchange, keyId: string): Partner {
  const d = x.route.dialect;
  const u = x.rt.upstreams.get(d.name);
  if (!u || u.creds.keyId !== keyId) {
    throw new CbError(
      'CB_UNKNOWN_PARTNER',
      `${d.credentialKeys.keyId} "${keyId}" is not couponbridge's ${d.name} app`,
    );
  }
  return {
    id: d.name,
    dialect: d,
    creds: u.creds,
    defaults: {},
    timestampUnit: 'auto',
    config: { id: d.name, dialect: d.name },
  };
}

export function verify(x: Exchange): void {
  const result = x.route.dialect.verify(x.msg!, x.raw, x.partner!.creds);
  if (!result.ok) {
    throw new CbError(
      result.code ?? 'CB_SIGN_MISMATCH',
      result.reason,
      `string-to-sign: ${result.maskedStringToSign}`,
    );
  }
}

export async function replay(x: Exchange): Promise<void> {
  const r = x.route.dialect.replay;
  if (!r) return;
  const f = x.msg!.fields;
  await checkReplay(x.rt.nonces, {
    scope: `${x.route.dialect.name}:${x.partner!.creds.keyId}`,
    timestamp: f[r.timestampField],
    nonce: f[r.nonceField],
    unit: x.partner!.timestampUnit,
    windowS: x.rt.config.replay.window_s,
    nowMs: x.now.getTime(),
  });
}

export function validateInbound(x: Exchange): void {
  const diags = x.rt.registry.validate(x.route.doc.inbound.schema, x.msg!.fields, {
    coerce: x.msg!.encoding !== 'json',
  });
  if (diags.length > 0) throw new CbError('CB_SCHEMA_INVALID', formatDiagnostics(diags));
}
