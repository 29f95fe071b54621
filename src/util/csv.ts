/**
 * One CSV cell. A text cell starting with = + - @ (or a tab / carriage return) is prefixed with `'`
 * so that a spreadsheet opening the export shows it instead of running it as a formula (the values
 * come from partners: coupon codes, serials). Used by `ledger export` and the settlement statement.
 */
export function csvField(v: unknown): string {
  let s = v === undefined || v === null ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
