/* DO NOT EDIT — generated from schemas/tencent/coupon-rsync.request.schema.json by npm run gen:types */

/**
 * 同步优惠券信息 (seed 002): 本接口用于接入方在出行小程序主动发放的优惠券同步至出行服务侧。调用此接口前请确保已经调用同步批次信息接口. POST /coupon/rsync. 通用参数 + 业务参数.
 */
export interface TencentCouponRsyncRequest {
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
   * 手机号
   */
  mobile_phone?: string;
  /**
   * 小程序 AppID
   */
  app_id: string;
  /**
   * 批次 ID
   */
  stock_id: string;
  /**
   * 优惠券 ID
   */
  coupon_id: string;
  /**
   * 优惠券类型 1:满减券 2:减至券 3:折扣券
   */
  coupon_type: 1 | 2 | 3;
  /**
   * 满减券信息
   */
  fixed_normal_coupon?: {
    /**
     * 优惠券面额(单位:分)
     */
    coupon_amount: number;
    /**
     * 优惠券使用门槛(单位:分)
     */
    transaction_minimum: number;
  };
  /**
   * 折扣券信息
   */
  discount_coupon?: {
    /**
     * 最高折扣金额(单位:分)
     */
    discount_amount_max: number;
    /**
     * 折扣百分比,例如 88-八八折
     */
    discount_percent: number;
    /**
     * 使用券金额门槛(单位:分)
     */
    transaction_minimum?: number;
  };
  /**
   * 可用开始时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
   */
  available_begin_time: string;
  /**
   * 可用结束时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
   */
  available_end_time: string;
  /**
   * 领取时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
   */
  receive_time: string;
  /**
   * 使用时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
   */
  usage_time?: string;
  /**
   * 优惠券状态 1:可用 2:已使用 3:已过期
   */
  coupon_status: 1 | 2 | 3;
  /**
   * 扩展信息
   */
  extra?: string;
}
