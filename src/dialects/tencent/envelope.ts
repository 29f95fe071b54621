/**
 * Tencent answers: `{"code":0,"message":"successful","data"?}`, `code` an integer. The error
 * shape has no hint field, so a hint (e.g. the masked string-to-sign) is folded into `message`.
 * A non-numeric code (a mis-typed code table entry) is answered as 500000, keeping the original
 * in the message, rather than breaking the integer contract.
 */
import type { Envelope } from '../types';
import { answerObject, jsonAnswer, messageWithHint, textField } from '../shared/answer';

const SYSTEM_ERROR = 500000;

export const envelope: Envelope = {
  success(data, message = 'successful') {
    return jsonAnswer(200, { code: 0, message, ...(data === undefined ? {} : { data }) });
  },
  error(err, httpStatus = 200) {
    const code = Number(err.code);
    const message = messageWithHint(err.message, err.hint);
    return Number.isInteger(code) && String(err.code).trim() !== ''
      ? jsonAnswer(httpStatus, { code, message })
      : jsonAnswer(httpStatus, { code: SYSTEM_ERROR, message: `[${err.code}] ${message}` });
  },
  isSuccess: (body) => textField(answerObject(body), 'code') === '0',
  codeOf: (body) => textField(answerObject(body), 'code'),
  messageOf: (body) => textField(answerObject(body), 'message'),
};
