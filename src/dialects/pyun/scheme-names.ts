/** P云's signature scheme names: data that SchemeName (src/dialects/scheme-names.ts) is derived from. */
export const schemeNames = ['pyun-form-md5', 'pyun-json-md5', 'pyun-json-push-md5'] as const;
export type PyunSchemeName = (typeof schemeNames)[number];
