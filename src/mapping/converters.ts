/**
 * Named converters usable in mapping files (`convert: to_utc`). Each is a plain function;
 * a failure throws with a message naming the rule, which the engine prefixes with the field.
 */
import { fenToYuan, toFen, yuanToFen } from '../money';
import { epochInUnit, epochToMs, parseZonedIso, toCstIso, toUtcIso } from '../time';

export type Converter = (value: unknown) => unknown;

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
  upper: (v) => str(v).toUpperCase(),
  lower: (v) => str(v).toLowerCase(),
};

export const nowFormats: Record<string, (now: Date) => string> = {
  utc: (now) => toUtcIso(now.getTime()),
  cst: (now) => toCstIso(now.getTime()),
  epoch_ms: (now) => String(now.getTime()),
  epoch_s: (now) => String(Math.floor(now.getTime() / 1000)),
};
