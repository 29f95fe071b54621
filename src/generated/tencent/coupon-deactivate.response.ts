/* DO NOT EDIT — generated from schemas/tencent/coupon-deactivate.response.schema.json by npm run gen:types */

/**
 * 设置可用优惠券过期/失效 返回数据 (seed 002).
 */
export interface TencentCouponDeactivateResponse {
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
     * 无效时间;格式:yyyy-MM-ddTHH:mm:ss.SSS+TIMEZONE
     */
    deactivate_time?: string;
  };
}
