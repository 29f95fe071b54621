/**
 * Simulated P云 open API. Checks what the real gate checks, in its order: framework errors first
 * (HTTP 400 `{"code":"400","message":"请求参数错误","hint":"`x` Required!","path":"POST /gate/…"}`),
 * then the app (`401`), then the signature over the raw received values (`1401` with the
 * string-to-sign, secret masked, in `hint`), then the business rules with a little state:
 * - grant/sync: redeem (status=1) or expire (status=-2); a grant_serial redeemed twice → 1403,
 *   expiring a redeemed one → 1003; times must be UTC ISO-8601 with `Z`.
 * - mcoupon/event: grant_serial derived from event_id; a repeated event_id → 1403 重复派发 with
 *   the original grant_serial.
 * - any other /gate/** path: 1001 echoing the business fields in `payload` (passthrough tests).
 * The required-field lists come from seeds 000/001, independently of couponbridge's schemas, so
 * that a schema mistake upstream of the sandbox is caught here rather than mirrored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { dialects } from '../dialects';
import type { Answer, ParsedMessage, RawRequest } from '../dialects/types';
import { isCbError } from '../errors';
import type { Platform, RecordedRequest } from './server';
import { pyunFormSign, pyunJsonBodySign, sameSignature } from './signatures';

export const GRANT_SYNC_PATH = '/gate/1.0/parking/internal/mcoupon/grant/sync';
export const EVENT_PATH = '/gate/1.0/parking/mcoupon/event';
const COMMON = ['app_id', 'timestamp', 'sign_type', 'sign'];
const REDEEM_REQUIRED = [
  'park_uuid',
  'grant_serial',
  'status',
  'apply_status',
  'coupon_value',
  'apply_value',
];
const REDEEM_INTEGERS = ['status', 'apply_status', 'coupon_value', 'apply_value', 'local_sync'];
const EXPIRE_REQUIRED = ['park_uuid', 'grant_serial', 'status', 'status_desc', 'status_time'];
const EVENT_REQUIRED = ['api_store_code', 'api_type', 'event_id', 'plate', 'subject'];
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export interface PyunSandboxOptions {
  app_id: string;
  app_secret: string;
  verifySignatures: boolean;
}

type Body = Record<string, unknown>;

class Refusal {
  constructor(
    readonly status: number,
    readonly body: Body,
  ) {}
}

export class PyunPlatform implements Platform {
  readonly target = 'pyun';
  private readonly grants = new Map<string, 'used' | 'expired'>();
  private readonly events = new Map<string, string>();

  constructor(private readonly opts: PyunSandboxOptions) {}

  handle(req: RawRequest, rec: RecordedRequest, receivedAt: number): Answer {
    const route = `${req.method.toUpperCase()} ${req.path}`;
    try {
      if (!req.path.startsWith('/gate/'))
        throw new Refusal(404, { code: '404', message: '资源不存在', path: route });
      const msg = this.parse(req, route);
      rec.fields = msg.fields;
      this.authenticate(msg, req, route);
      const { code, message, payload } = this.business(req, msg, route);
      return answer(200, { code, message, ...(payload ? { payload } : {}) }, receivedAt);
    } catch (e) {
      if (e instanceof Refusal) return answer(e.status, e.body, receivedAt);
      throw e;
    }
  }

  codeAnswer(code: string, message: string | undefined): Answer {
    return answer(200, { code, message: message ?? `sandbox injected ${code}` }, Date.now());
  }

  private parse(req: RawRequest, route: string): ParsedMessage {
    try {
      return dialects.pyun.parse(req);
    } catch (e) {
      if (!isCbError(e)) throw e;
      throw new Refusal(400, { code: '400', message: '请求参数错误', hint: e.detail, path: route });
    }
  }

  private authenticate(msg: ParsedMessage, req: RawRequest, route: string): void {
    requireFields(msg, hasAuthorization(req) ? ['app_id'] : ['app_id', 'sign'], route);
    if (!this.opts.verifySignatures) return;
    const appId = dialects.pyun.identify(msg);
    if (appId !== this.opts.app_id) {
      throw new Refusal(401, {
        code: '401',
        message: '应用不存在或已停用',
        hint: `app_id ${appId} 未授权`,
        path: route,
      });
    }
    // P云's JSON-body APIs carry the signature in Authorization; forms (and JSON without it) in `sign`
    const authorization = hasAuthorization(req) ? String(req.headers.authorization).trim() : undefined;
    const expected =
      msg.encoding === 'json' && authorization !== undefined
        ? pyunJsonBodySign(msg.rawBody, this.opts.app_secret)
        : pyunFormSign(msg.signingParams, this.opts.app_secret);
    if (!sameSignature(expected.sign, authorization ?? msg.signingParams.sign))
      throw new Refusal(200, { code: '1401', message: '签名错误', hint: expected.masked });
  }

  private business(
    req: RawRequest,
    msg: ParsedMessage,
    route: string,
  ): { code: string; message: string; payload?: Body } {
    const isPost = req.method.toUpperCase() === 'POST';
    if ((req.path === GRANT_SYNC_PATH || req.path === EVENT_PATH) && !isPost) {
      throw new Refusal(405, { code: '405', message: '请求方法不支持', path: route });
    }
    if (req.path === GRANT_SYNC_PATH) return this.grantSync(msg, route);
    if (req.path === EVENT_PATH) return this.event(msg, route);
    const payload = Object.fromEntries(Object.entries(msg.fields).filter(([k]) => !COMMON.includes(k)));
    return { code: '1001', message: '操作成功', payload };
  }

  private grantSync(msg: ParsedMessage, route: string): { code: string; message: string } {
    const status = msg.signingParams.status;
    if (status === '-2') {
      requireFields(msg, EXPIRE_REQUIRED, route);
      requireUtc(msg, ['status_time'], route);
      const serial = msg.signingParams.grant_serial;
      const state = this.grants.get(serial);
      if (state === 'used') return { code: '1003', message: '优惠券已核销，不能作废' };
      this.grants.set(serial, 'expired');
      return { code: '1001', message: '操作成功' };
    }
    requireFields(msg, REDEEM_REQUIRED, route);
    requireIntegers(msg, REDEEM_INTEGERS, route);
    requireUtc(msg, ['status_time', 'apply_time'], route);
    if (status !== '1' || msg.signingParams.apply_status !== '1') {
      throw new Refusal(400, {
        code: '400',
        message: '请求参数错误',
        hint: '`status` must be 1 or -2, `apply_status` 1',
        path: route,
      });
    }
    const serial = msg.signingParams.grant_serial;
    const state = this.grants.get(serial);
    if (state === 'used') return { code: '1403', message: '重复核销' };
    if (state === 'expired') return { code: '1003', message: '优惠券已失效' };
    this.grants.set(serial, 'used');
    return { code: '1001', message: '核销成功' };
  }

  private event(msg: ParsedMessage, route: string): { code: string; message: string; payload: Body } {
    requireFields(msg, EVENT_REQUIRED, route);
    const metadata = msg.signingParams.metadata;
    if (metadata !== undefined && metadata !== '' && !isJsonObject(metadata)) {
      throw new Refusal(400, {
        code: '400',
        message: '请求参数错误',
        hint: '`metadata` must be a JSON object',
        path: route,
      });
    }
    const eventId = msg.signingParams.event_id;
    const original = this.events.get(eventId);
    if (original !== undefined)
      return { code: '1403', message: '重复派发', payload: { grant_serial: original } };
    const serial = grantSerialFor(eventId);
    this.events.set(eventId, serial);
    return { code: '1001', message: '优惠派发成功', payload: { grant_serial: serial } };
  }
}

/** The grant_serial the sandbox hands out for an event_id (deterministic, so tests can predict it). */
export function grantSerialFor(eventId: string): string {
  return 'SBG' + createHash('sha1').update(eventId).digest('hex').slice(0, 20).toUpperCase();
}

/** P云's envelope, its fields in P云's order; absent ones are left out. */
function answer(status: number, body: Body, receivedAt: number): Answer {
  const full = {
    code: body.code,
    message: body.message,
    hint: body.hint,
    seqno: randomBytes(16).toString('hex'),
    data_node: 'sandbox/SB-1',
    time_cost: Date.now() - receivedAt,
    payload: body.payload,
    path: body.path,
  };
  return { status, contentType: 'application/json;charset=UTF-8', body: JSON.stringify(full) };
}

function requireFields(msg: ParsedMessage, names: string[], route: string): void {
  const missing = names.find((k) => (msg.signingParams[k] ?? '') === '');
  if (missing !== undefined) {
    throw new Refusal(400, {
      code: '400',
      message: '请求参数错误',
      hint: `\`${missing}\` Required!`,
      path: route,
    });
  }
}

function requireIntegers(msg: ParsedMessage, names: string[], route: string): void {
  const bad = names.find((k) => msg.signingParams[k] !== undefined && !/^-?\d+$/.test(msg.signingParams[k]));
  if (bad !== undefined) {
    throw new Refusal(400, {
      code: '400',
      message: '请求参数错误',
      hint: `\`${bad}\` must be an integer`,
      path: route,
    });
  }
}

function requireUtc(msg: ParsedMessage, names: string[], route: string): void {
  const bad = names.find((k) => (msg.signingParams[k] ?? '') !== '' && !UTC_TIME.test(msg.signingParams[k]));
  if (bad !== undefined) {
    const hint = `\`${bad}\` must be UTC ISO-8601 like 2022-02-28T03:30:28.000Z, got ${msg.signingParams[bad]}`;
    throw new Refusal(400, { code: '400', message: '请求参数错误', hint, path: route });
  }
}

function hasAuthorization(req: RawRequest): boolean {
  return typeof req.headers.authorization === 'string' && req.headers.authorization.trim() !== '';
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
