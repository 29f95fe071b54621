/**
 * Money is integer 分 everywhere inside couponbridge. 元 decimals are converted by exact
 * decimal string arithmetic — never through float multiplication (19.99 * 100 = 1998.9999…).
 * A JS number input is read through its shortest round-trip text (what the wire carried).
 */
export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

const DECIMAL = /^([+-])?(\d+)?(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parses 元 (string or number) to integer 分; rejects more than 2 significant decimals, malformed and, unless allowed, negative values. */
export function yuanToFen(value: unknown, opts: { allowNegative?: boolean } = {}): number {
  const text =
    typeof value === 'number' ? numberText(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '') throw new MoneyError(`not an amount: ${JSON.stringify(value)}`);
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined))
    throw new MoneyError(`not a decimal amount: "${text}"`);
  const negative = m[1] === '-';
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let scale = (m[3] ?? '').length - Number(m[4] ?? '0'); // value = digits × 10^-scale
  if (scale < 0) {
    if (-scale > 15) throw new MoneyError(`amount too large: "${text}"`);
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  while (scale > 2 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale--;
  }
  if (scale > 2) throw new MoneyError(`amount has more than 2 decimal places (分 precision): "${text}"`);
  const fen = BigInt(digits === '' ? '0' : digits) * 10n ** BigInt(2 - scale);
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyError(`amount too large: "${text}"`);
  const result = Number(fen);
  if (negative && result !== 0) {
    if (!opts.allowNegative) throw new MoneyError(`amount must not be negative: "${text}"`);
    return -result;
  }
  return result;
}

/** Integer 分 → 元 decimal string with two places ("19.99", "-0.05"). */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new MoneyError(`分 must be a safe integer: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Integer 分 from a value that must already be integer 分 (a number or a digit string). */
export function toFen(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  throw new MoneyError(`not an integer amount in 分: ${JSON.stringify(value)}`);
}

/** Splits a total across n parts; the remainder goes on the first part (design.md D1). */
export function splitFen(total: number, parts: number): number[] {
  if (!Number.isSafeInteger(total) || parts < 1) throw new MoneyError(`cannot split ${total} into ${parts}`);
  const base = Math.trunc(total / parts);
  const out = new Array<number>(parts).fill(base);
  out[0] += total - base * parts;
  return out;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new MoneyError(`not a finite amount: ${n}`);
  return String(n);
}
