/** Tencent's signature scheme name: data that SchemeName (src/dialects/scheme-names.ts) is derived from. */
export const schemeNames = ['tencent-md5'] as const;
export type TencentSchemeName = (typeof schemeNames)[number];
