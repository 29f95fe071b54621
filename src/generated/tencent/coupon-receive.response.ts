/* DO NOT EDIT — generated from schemas/tencent/coupon-receive.response.schema.json by npm run gen:types */

/**
 * 领券 返回数据 (seed 002).
 */
export interface TencentCouponReceiveResponse {
  /**
   * 服务响应状态,参见错误码表 (0 success, 400000 400001 400002 400003 400004 400005 400101 500000, business codes from the mapping's code table)
   */
  code: number;
  /**
   * 服务响应状态说明,参见错误码表
   */
  message: string;
  /**
   * 业务数据
   */
  data?: {
    /**
     * 小程序 appId
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
      transaction_minimum: number;
    };
    /**
     * 可用开始时间,格式: yyyy-MM-ddTHH:mm:ss: SSS+TIMEZONE
     */
    available_begin_time: string;
    /**
     * 可用结束时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
     */
    available_end_time: string;
    /**
     * 领券时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
     */
    receive_time: string;
    /**
     * 优惠券状态 1:可用 2:已使用 3:已过期
     */
    coupon_status: 1 | 2 | 3;
  };
}
