/**
 * Time formats of the three dialects. Tencent business times are `yyyy-MM-ddTHH:mm:ss.SSS+08:00`
 * (Beijing time); P云 `apply_time`/`status_time` are UTC ISO-8601 with `Z`; P云 timestamps and
 * push times are epoch-ms strings. Conversions keep the instant and fail loudly on bad input.
 */
export class TimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeError';
  }
}

const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})$/;
const CST_OFFSET_MS = 8 * 3600 * 1000;

/** Parses an ISO-8601 time that carries a zone (Z or ±HH:MM) to epoch ms. */
export function parseZonedIso(text: string): number {
  const m = ISO_WITH_ZONE.exec(text.trim());
  if (!m)
    throw new TimeError(
      `not an ISO-8601 time with a zone (expected yyyy-MM-ddTHH:mm:ss.SSS+08:00 or …Z): "${text}"`,
    );
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
  // Date.UTC rolls over (Feb 30 → Mar 1) and reads years 0–99 as 1900–1999: the date must survive
  const day = new Date(utc);
  const rolled = day.getUTCFullYear() !== +y || day.getUTCMonth() !== +mo - 1 || day.getUTCDate() !== +d;
  if (Number.isNaN(utc) || rolled || +h > 23 || +mi > 59 || +s > 60) {
    throw new TimeError(`invalid date or time: "${text}"`);
  }
  if (zone === 'Z') return utc;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60000;
  return utc - offset;
}

/** Epoch ms → UTC `yyyy-MM-ddTHH:mm:ss.SSSZ`. */
export function toUtcIso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Epoch ms → Beijing time `yyyy-MM-ddTHH:mm:ss.SSS+08:00`. */
export function toCstIso(epochMs: number): string {
  return new Date(epochMs + CST_OFFSET_MS).toISOString().replace('Z', '+08:00');
}

function epochNumber(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,16}$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n)) throw new TimeError(`not an epoch timestamp: ${JSON.stringify(value)}`);
  return n;
}

/** An epoch value in seconds or milliseconds (told apart by magnitude) → epoch ms. */
export function epochToMs(value: unknown): number {
  const n = epochNumber(value);
  return n < 1e11 ? n * 1000 : n;
}

/** Strict epoch parse in a known unit. */
export function epochInUnit(value: unknown, unit: 's' | 'ms'): number {
  const n = epochNumber(value);
  return unit === 's' ? n * 1000 : n;
}
