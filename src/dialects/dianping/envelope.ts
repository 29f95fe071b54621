/**
 * Dianping answers: `{"status":"success"}` or `{"status":"error","code":"3001001","message":"订单号重复"}`
 * with `code` a string. The shape has no data or hint field: success data is not echoed, and a hint
 * is folded into `message`. `codeOf` reads 'success' for a success answer, else the error code.
 */
import type { Envelope } from '../types';
import { answerObject, jsonAnswer, messageWithHint, textField } from '../shared/answer';

export const envelope: Envelope = {
  success() {
    return jsonAnswer(200, { status: 'success' });
  },
  error(err, httpStatus = 200) {
    return jsonAnswer(httpStatus, {
      status: 'error',
      code: String(err.code),
      message: messageWithHint(err.message, err.hint),
    });
  },
  isSuccess: (body) => answerObject(body)?.status === 'success',
  codeOf(body) {
    const obj = answerObject(body);
    return obj?.status === 'success' ? 'success' : textField(obj, 'code');
  },
  messageOf: (body) => textField(answerObject(body), 'message'),
};
