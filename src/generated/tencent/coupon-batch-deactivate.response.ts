/* DO NOT EDIT — generated from schemas/tencent/coupon-batch-deactivate.response.schema.json by npm run gen:types */

/**
 * 批量设置可用优惠券过期/失效 返回数据 (seed 002). 仅当优惠券当前状态不是可用时,才认为此优惠券不满足设置条件; 不满足条件的优惠券信息放到 illegal_coupons 中返回.
 */
export interface TencentCouponBatchDeactivateResponse {
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
     * 已过期的优惠券列表
     */
    expire_coupons?: {
      /**
       * 批次 ID
       */
      stock_id: string;
      /**
       * 优惠券 ID
       */
      coupon_id: string;
      /**
       * 过期时间,格式:yyyy-MM-ddTHH:mm:ss.SSS+TIMEZONE
       */
      expire_time: string;
    }[];
    /**
     * 无效/失效的优惠券列表
     */
    deactivate_coupons?: {
      /**
       * 批次 ID
       */
      stock_id: string;
      /**
       * 优惠券 ID
       */
      coupon_id: string;
      /**
       * 无效时间,格式:yyyy-MM-ddTHH:mm:ss.SSS+TIMEZONE
       */
      deactivate_time: string;
    }[];
    /**
     * 不满足条件的优惠券数组(优惠券状态不是可用)
     */
    illegal_coupons?: {
      /**
       * 批次 ID
       */
      stock_id: string;
      /**
       * 优惠券 ID
       */
      coupon_id: string;
      /**
       * 优惠券状态1:可用2:已使用3:已过期4:无效/失效
       */
      coupon_status: 1 | 2 | 3 | 4;
    }[];
  };
}
