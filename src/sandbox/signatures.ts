/**
 * The sandbox's own signature rules, written from protocols.md and nothing else: the sandbox stands
 * in for the real platforms, so it must not share couponbridge's signers (src/dialects) — a bug
 * there would then be agreed with here and every end-to-end test would pass. Checked against the
 * published vectors (test/fixtures/vectors.json) by test/sandbox/signatures.test.ts.
 *
 *   P云 form       MD5( sorted `k=v` joined by `&`, without sign and empty values, + `&app_secret=` + secret ), upper hex
 *   P云 JSON body  MD5( exact body + `&app_secret=` + secret ), in the Authorization header
 *   Tencent        MD5( sorted `k=v` joined by `&`, without sign, + secret ), upper hex; "" signed as `k=`
 *   Dianping       SHA-1( appKey + sorted `kv` without appkey and sign + secret ), upper hex; "" signed as `k`
 *   Dianping router  md5( secret + sorted `kv` without sign and empty values + secret ), lower hex
 * Values are the raw received texts; a hex signature is compared case-insensitively.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const MASK = '***';

export interface SandboxSignature {
  sign: string;
  /** The string-to-sign with the secret shown as `***` (what a platform echoes on a failure). */
  masked: string;
}

export type EmptyValues = 'skip' | 'sign';

function digest(algorithm: 'md5' | 'sha1', text: string): string {
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}

/** [key, value] pairs without the excluded keys (and without "" unless signed), sorted by key code units. */
function sorted(
  params: Record<string, string>,
  exclude: string[],
  empty: EmptyValues,
): Array<[string, string]> {
  return Object.entries(params)
    .filter(
      ([k, v]) => !exclude.includes(k) && v !== undefined && v !== null && (v !== '' || empty === 'sign'),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function pyunFormSign(
  params: Record<string, string>,
  secret: string,
  empty: EmptyValues = 'skip',
): SandboxSignature {
  const base = sorted(params, ['sign'], empty)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return {
    sign: digest('md5', `${base}&app_secret=${secret}`).toUpperCase(),
    masked: `${base}&app_secret=${MASK}`,
  };
}

export function pyunJsonBodySign(body: string, secret: string): SandboxSignature {
  return {
    sign: digest('md5', `${body}&app_secret=${secret}`).toUpperCase(),
    masked: `${body}&app_secret=${MASK}`,
  };
}

export function tencentSign(
  params: Record<string, string>,
  secret: string,
  empty: EmptyValues = 'sign',
): SandboxSignature {
  const base = sorted(params, ['sign'], empty)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return { sign: digest('md5', `${base}${secret}`).toUpperCase(), masked: `${base}${MASK}` };
}

export function dianpingSha1Sign(
  params: Record<string, string>,
  appKey: string,
  secret: string,
  empty: EmptyValues = 'sign',
): SandboxSignature {
  const body = sorted(params, ['appkey', 'sign'], empty)
    .map(([k, v]) => `${k}${v}`)
    .join('');
  return {
    sign: digest('sha1', `${appKey}${body}${secret}`).toUpperCase(),
    masked: `${appKey}${body}${MASK}`,
  };
}

export function dianpingRouterSign(
  params: Record<string, string>,
  secret: string,
  empty: EmptyValues = 'skip',
): SandboxSignature {
  const body = sorted(params, ['sign'], empty)
    .map(([k, v]) => `${k}${v}`)
    .join('');
  return { sign: digest('md5', `${secret}${body}${secret}`), masked: `${MASK}${body}${MASK}` };
}

/** Whether a received hex signature equals the expected one (case-insensitive, constant time). */
export function sameSignature(expected: string, received: string | undefined): boolean {
  const a = Buffer.from(expected.toUpperCase());
  const b = Buffer.from((received ?? '').trim().toUpperCase());
  return a.length === b.length && timingSafeEqual(a, b);
}
