/**
 * Inbound stages: parse → identify → verify → replay → validate. Each is a plain function
 * of the exchange that either records its result on it or throws a CbError.
 */
import { CbError } from '../../errors';
import { formatDiagnostics } from '../../schema/registry';
import { checkReplay } from '../../ledger/replay-guard';
import { signatureReplay } from './signature-replay';
import { partnerKey, type Partner, type Runtime } from '../../runtime';
import type { Dialect, ParsedMessage, RawRequest, VerifyOutcome } from '../../dialects/types';
import type { Exchange } from '../context';
import { assertSafeFields } from '../../dialects';

/** Parses the body and applies the input rules (prototype keys, depth) before any signature work. */
export function parse(x: Exchange): void {
  const msg = x.route.dialect.parse(x.raw);
  assertSafeFields(msg.fields);
  x.msg = msg;
}

/** The key id a message carries, or CB_UNKNOWN_PARTNER naming the missing field. */
export function requireKeyId(d: Dialect, keyId: string | undefined): string {
  if (!keyId) throw new CbError('CB_UNKNOWN_PARTNER', `${d.credentialKeys.keyId} missing`);
  return keyId;
}

/** The configured partner of a dialect holding that key id, or CB_UNKNOWN_PARTNER. */
export function partnerFor(rt: Runtime, d: Dialect, keyId: string): Partner {
  const partner = rt.partners.get(partnerKey(d.name, keyId));
  if (!partner)
    throw new CbError('CB_UNKNOWN_PARTNER', `no ${d.name} partner with ${d.credentialKeys.keyId} "${keyId}"`);
  return partner;
}

/** A failed verification as CB_SIGN_MISSING / CB_SIGN_MISMATCH carrying the masked string-to-sign. */
export function assertVerified(result: VerifyOutcome): void {
  if (!result.ok) {
    throw new CbError(
      result.code ?? 'CB_SIGN_MISMATCH',
      result.reason,
      `string-to-sign: ${result.maskedStringToSign}`,
    );
  }
}

export function identify(x: Exchange): void {
  const d = x.route.dialect;
  const keyId = requireKeyId(d, d.identify(x.msg!, x.raw));
  x.partner =
    x.route.doc.inbound.caller === 'upstream' ? upstreamAsCaller(x, keyId) : partnerFor(x.rt, d, keyId);
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
  // P云 signs its pushes with a secret of their own when one is configured (push_secret).
  const push = (x.rt.config.upstreams as Record<string, { push_secret?: string } | undefined>)[d.name];
  return {
    id: d.name,
    dialect: d,
    creds: push?.push_secret ? { ...u.creds, secret: push.push_secret } : u.creds,
    secrets: [push?.push_secret ?? u.creds.secret],
    defaults: {},
    timestampUnit: 'auto',
    config: { id: d.name, dialect: d.name },
  };
}

/**
 * Verifies with each of the partner's secrets in turn (current first) and returns the position of
 * the one that verified; a failure reports the current secret's masked string-to-sign.
 */
export function verifyWithAnySecret(
  d: Dialect,
  msg: ParsedMessage,
  raw: RawRequest,
  partner: Partner,
): number {
  let first: VerifyOutcome | undefined;
  for (let i = 0; i < partner.secrets.length; i++) {
    const result = d.verify(
      msg,
      raw,
      i === 0 ? partner.creds : { ...partner.creds, secret: partner.secrets[i] },
    );
    if (result.ok) return i;
    first ??= result;
  }
  assertVerified(first!);
  return 0;
}

export function verify(x: Exchange): void {
  x.secretIndex = verifyWithAnySecret(x.route.dialect, x.msg!, x.raw, x.partner!);
}

export async function replay(x: Exchange): Promise<void> {
  if (x.route.dialect.signatureMemory) return signatureReplay(x);
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
