/**
 * P云 answers: `{"code":"1001","message":"操作成功","payload"?,"seqno"}` on success and
 * `{"code":"<code>","message","hint"?,"seqno"}` on failure. `code` is always a string; `seqno` is a
 * fresh 16-hex id, as P云's own log reference. Readers accept a numeric code too.
 */
import type { Envelope } from '../types';
import { answerObject, jsonAnswer, textField } from '../shared/answer';
import { systemEntropy } from '../shared/entropy';

const SUCCESS_CODE = '1001';

export const envelope: Envelope = {
  success(data, message = '操作成功', entropy = systemEntropy) {
    return jsonAnswer(200, {
      code: SUCCESS_CODE,
      message,
      ...(data === undefined ? {} : { payload: data }),
      seqno: entropy.hex(8),
    });
  },
  error(err, httpStatus = 200, entropy = systemEntropy) {
    return jsonAnswer(httpStatus, {
      code: String(err.code),
      message: err.message,
      ...(err.hint ? { hint: err.hint } : {}),
      seqno: entropy.hex(8),
    });
  },
  isSuccess: (body) => textField(answerObject(body), 'code') === SUCCESS_CODE,
  codeOf: (body) => textField(answerObject(body), 'code'),
  messageOf: (body) => textField(answerObject(body), 'message'),
};
