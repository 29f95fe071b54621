/* DO NOT EDIT — generated from schemas/tencent/coupon-deactivate.request.schema.json by npm run gen:types */

/**
 * 设置可用优惠券过期/失效 (seed 002): 本接口用于出行服务调用服务商将可用的优惠券设置为过期或无效/失效状态. POST, 请求地址 接入方提供. 通用参数 + 业务参数.
 */
export interface TencentCouponDeactivateRequest {
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
   * 优惠券状态3:已过期4:无效/失效
   */
  coupon_status: 3 | 4;
  /**
   * 原因
   */
  reason?: string;
  /**
   * 扩展信息
   */
  extra?: string;
}
