/* DO NOT EDIT — generated from schemas/tencent/coupon-status-rsync.request.schema.json by npm run gen:types */

/**
 * 同步优惠券状态 (seed 002): 本接口用于同步优惠券状态信息. POST /coupon/status/rsync. 通用参数 + 业务参数.
 */
export interface TencentCouponStatusRsyncRequest {
  /**
   * 接入方 api_key
   */
  api_key: string;
  /**
   * 请求序列号 (UUID)
   */
  seq_id: string;
  /**
   * 时间戳: epoch seconds (published example) or milliseconds, string or number
   */
  timestamp: string | number;
  /**
   * 随机串; a repeat inside the replay window is refused
   */
  nonce: string;
  /**
   * 签名: MD5 of the sorted key=value pairs joined by & with the secret appended, upper-case hex
   */
  sign: string;
  /**
   * 多租户渠道ID 0:出行服务 11:手图
   */
  app_channel_id: number;
  /**
   * 用户标识
   */
  user_code: string;
  /**
   * 手机号码
   */
  mobile_phone?: string;
  /**
   * 批次 ID
   */
  stock_id: string;
  /**
   * 优惠券 ID
   */
  coupon_id: string;
  /**
   * 优惠券状态 1: 可用 2: 已使用 3: 已过期
   */
  coupon_status: 1 | 2 | 3;
  /**
   * 使用时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
   */
  usage_time?: string;
  /**
   * 事件时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
   */
  event_time?: string;
  /**
   * 版本:当前版本:1.0.1
   */
  version?: string;
  /**
   * 扩展信息
   */
  extra?: string;
}
