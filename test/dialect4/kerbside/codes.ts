/**
 * Catalog codes in kerbside terms: `K` + the catalog's HTTP status (K400, K401, K404, K409, K5xx…).
 * kerbside's own answers use the same shape; OK is success.
 */
import { cbCodes, errorCatalog, type CbCode } from '../../../src/errors';
import { knownAnswerCodes } from '../../../src/dialects/shared/codes';

export const codes = Object.fromEntries(cbCodes.map((c) => [c, `K${errorCatalog[c].status}`])) as Record<
  CbCode,
  string
>;

export const answerCodes = knownAnswerCodes(
  { OK: 'success', K409: 'voucher already issued', K422: 'plate refused' },
  codes,
);
