/** Dianping's signature scheme names: data that SchemeName (src/dialects/scheme-names.ts) is derived from. */
export const schemeNames = ['dianping-sha1', 'dianping-router-md5'] as const;
export type DianpingSchemeName = (typeof schemeNames)[number];
