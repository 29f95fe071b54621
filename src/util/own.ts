/**
 * Building plain objects key by key on the hot path: an object literal filled by assignment keeps
 * V8's fast properties, where Object.fromEntries gives a dictionary-mode object that every later
 * spread and lookup pays for. `setOwn` makes the one key assignment treats differently,
 * "__proto__", an own property as fromEntries would.
 */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
