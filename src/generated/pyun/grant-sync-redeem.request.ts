/* DO NOT EDIT — generated from schemas/pyun/grant-sync-redeem.request.schema.json by npm run gen:types */

/**
 * 商户优惠券状态核销 (seed 000): POST /gate/1.0/parking/internal/mcoupon/grant/sync, HTTP FORM 表单提交. 此接口用于车场核销已使用的优惠券使用. Redeem form: status=1, apply_status=1.
 */
export interface PyunGrantSyncRedeemRequest {
  /**
   * 平台分配的接入应用ID
   */
  app_id?: string;
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
   * 是否本地派发流水（1:是0:否）
   */
  local_sync?: 0 | 1;
  /**
   * 停车场UUID
   */
  park_uuid: string;
  /**
   * local_sync =1时：为本地派发流水 local_sync =0时：平台下发的派发流水
   */
  grant_serial: string;
  /**
   * 派发状态：固定传1
   */
  status: 1;
  /**
   * 默认当前时间
   */
  status_time?: string;
  /**
   * 核销状态：固定传1
   */
  apply_status: 1;
  /**
   * 实际优惠面额(时长券和金额券单位都是分,非时间金额券的传0
   */
  coupon_value: number;
  /**
   * 实际优惠金额,分
   */
  apply_value: number;
  /**
   * 核销时间, 默认取当前收到请求时间
   */
  apply_time?: string;
}
