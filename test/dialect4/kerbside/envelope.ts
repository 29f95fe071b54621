/** kerbside answers: `{"ok":true,"result":…}` or `{"ok":false,"err":"K409","msg":"…"}`. */
import type { Envelope } from '../../../src/dialects/types';
import { answerObject, jsonAnswer, messageWithHint, textField } from '../../../src/dialects/shared/answer';

export const envelope: Envelope = {
  success(data) {
    return jsonAnswer(200, { ok: true, ...(data === undefined ? {} : { result: data }) });
  },
  error(err, httpStatus = 200) {
    return jsonAnswer(httpStatus, {
      ok: false,
      err: String(err.code),
      msg: messageWithHint(err.message, err.hint),
    });
  },
  isSuccess: (body) => answerObject(body)?.ok === true,
  codeOf(body) {
    const obj = answerObject(body);
    return obj?.ok === true ? 'OK' : textField(obj, 'err');
  },
  messageOf: (body) => textField(answerObject(body), 'msg'),
};
