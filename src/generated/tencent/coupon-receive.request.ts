/* DO NOT EDIT — generated from schemas/tencent/coupon-receive.request.schema.json by npm run gen:types */

/**
 * 领券 (seed 002): 本接口用于腾讯出行服务调用接入方领券接口发券. POST, 请求地址 接入方提供. 通用参数 + 业务参数.
 */
export interface TencentCouponReceiveRequest {
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
   * 请求 ID(业务唯一,根据 request_id 做幂等处理)
   */
  request_id: string;
  /**
   * 扩展信息: the plate the coupon is granted to, as JSON {"plate": …} or a bare plate (design T2)
   */
  extra?: string;
}
