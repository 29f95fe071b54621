/**
 * Source paths of mapping expressions (`in.coupon_id`, `stock.park_uuid`,
 * `upstream.payload.grant_serial`, `in.coupons[0].coupon_id`), compiled once into getters.
 */
export type Getter = (root: Record<string, unknown>) => unknown;

export function splitPath(path: string): string[] {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '');
}

export function compileGetter(path: string): Getter {
  const segs = splitPath(path);
  return (root) => {
    let cur: unknown = root;
    for (const s of segs) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[s];
    }
    return cur;
  };
}

export function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}
