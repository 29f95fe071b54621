/* DO NOT EDIT — generated from schemas/pyun/grant-sync-expire.request.schema.json by npm run gen:types */

/**
 * 商户优惠券状态同步, expire form: POST /gate/1.0/parking/internal/mcoupon/grant/sync with status=-2, status_desc, status_time (protocols.md; seed 000 shows only the redeem form).
 */
export interface PyunGrantSyncExpireRequest {
  /**
   * 平台分配的接入应用ID
   */
  app_id: string;
  /**
   * 请求时间戳, 毫秒
   */
  timestamp?: string | number;
  /**
   * 签名方式, 固定 MD5
   */
  sign_type?: 'MD5';
  /**
   * 请求数据签名 (MD5 hex; sent upper case, compared case-insensitively)
   */
  sign: string;
  /**
   * 停车场UUID
   */
  park_uuid: string;
  /**
   * local_sync =1时：为本地派发流水 local_sync =0时：平台下发的派发流水
   */
  grant_serial: string;
  /**
   * 是否本地派发流水（1:是0:否）
   */
  local_sync?: 0 | 1;
  /**
   * 派发状态：-2 过期
   */
  status: -2;
  /**
   * 状态描述, 如 已过期
   */
  status_desc: string;
  /**
   * 状态时间 (UTC)
   */
  status_time: string;
}
