/**
 * Named converters usable in mapping files (`convert: to_utc`). Each is a plain function;
 * a failure throws with a message naming the rule, which the engine prefixes with the field.
 */
import { createHash } from 'node:crypto';
import { fenToYuan, toFen, yuanToFen } from '../money';
import { epochInUnit, epochToMs, parseZonedIso, toCstIso, toUtcIso } from '../time';

export type Converter = (value: unknown) => unknown;

const PLATE = /^[\u4e00-\u9fa5][A-Z][A-Z0-9\u4e00-\u9fa5]{4,7}$/;

/**
 * A plate from Tencent `extra` (design T2): a JSON object with `plate`, or a bare plate string.
 * Anything else yields nothing, so a required plate fails as "no value".
 */
export function plateFromExtra(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t.startsWith('{')) {
    try {
      const p = (JSON.parse(t) as { plate?: unknown }).plate;
      return typeof p === 'string' && p.trim() !== '' ? p.trim() : undefined;
    } catch {
      return undefined;
    }
  }
  return PLATE.test(t) ? t : undefined;
}

/** P云 event_id width: the seed gives no limit; 32 is what order numbers are commonly held in. */
export const EVENT_ID_LENGTH = 32;

/**
 * P云 event_id of a claim: `E` + 31 base-32 characters of SHA-256(partner, request_id). Derived,
 * so a retry sends the same event_id (P云 answers 1403 with the original grant), and scoped, so
 * two partners sending the same request_id never meet at P云.
 */
export function eventIdFor(partnerId: string, requestId: string): string {
  return `E${base32(createHash('sha256').update(`${partnerId}\u0000${requestId}`).digest(), EVENT_ID_LENGTH - 1)}`;
}

function base32(digest: Buffer, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/**
 * A Tencent coupon_id (at most 20 characters, seed 002) for a P云 grant serial: the serial itself
 * when it fits, else `CB` + 18 base-32 characters of its SHA-1 — deterministic, so a retried
 * claim gets the same id. The ledger keeps both.
 */
export function couponIdFor(grantSerial: string): string {
  if (grantSerial.length <= 20) return grantSerial;
  return `CB${base32(createHash('sha1').update(grantSerial).digest(), 18)}`;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a string, got ${JSON.stringify(v)}`);
}

export const converters: Record<string, Converter> = {
  to_utc: (v) => toUtcIso(parseZonedIso(str(v))),
  to_cst: (v) => toCstIso(parseZonedIso(str(v))),
  epoch_ms_to_utc: (v) => toUtcIso(epochInUnit(v, 'ms')),
  epoch_s_to_utc: (v) => toUtcIso(epochInUnit(v, 's')),
  epoch_ms_to_cst: (v) => toCstIso(epochInUnit(v, 'ms')),
  epoch_to_utc: (v) => toUtcIso(epochToMs(v)),
  iso_to_epoch_ms: (v) => String(parseZonedIso(str(v))),
  yuan_to_fen: (v) => yuanToFen(v),
  fen_to_yuan: (v) => fenToYuan(toFen(v)),
  json_encode: (v) => JSON.stringify(v),
  json_decode: (v) => {
    try {
      return JSON.parse(str(v));
    } catch {
      throw new Error(`not valid JSON: ${str(v).slice(0, 40)}`);
    }
  },
  string: (v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : str(v)),
  integer: (v) => {
    const n = typeof v === 'number' ? v : Number(str(v).trim());
    if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${JSON.stringify(v)}`);
    return n;
  },
  plate_from_extra: plateFromExtra,
  coupon_id_for: (v) => couponIdFor(str(v)),
  upper: (v) => str(v).toUpperCase(),
  lower: (v) => str(v).toLowerCase(),
};

export const nowFormats: Record<string, (now: Date) => string> = {
  utc: (now) => toUtcIso(now.getTime()),
  cst: (now) => toCstIso(now.getTime()),
  epoch_ms: (now) => String(now.getTime()),
  epoch_s: (now) => String(Math.floor(now.getTime() / 1000)),
};
