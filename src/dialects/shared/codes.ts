/**
 * A dialect's known answer codes: the platform's own codes with their meaning, plus every code the
 * dialect's catalog table uses that the platform does not define (described by the catalog
 * messages it stands for), so mapping code tables can be checked against one list.
 */
import { cbCodes, errorCatalog, type CbCode } from '../../errors';

export function knownAnswerCodes(
  platform: Record<string, string>,
  table: Record<CbCode, string | number>,
): Record<string, string> {
  const adapter = new Map<string, string[]>();
  for (const cb of cbCodes) {
    const code = String(table[cb]);
    if (Object.prototype.hasOwnProperty.call(platform, code)) continue;
    adapter.set(code, [...(adapter.get(code) ?? []), errorCatalog[cb].message]);
  }
  return {
    ...platform,
    ...Object.fromEntries([...adapter].map(([code, m]) => [code, `couponbridge: ${m.join('; ')}`])),
  };
}
