/* DO NOT EDIT — generated from schemas/dianping/consume-coupon.response.schema.json by npm run gen:types */

/**
 * 优惠券核销 返回 (seed 004). 错误码: 3001001 订单号重复.
 */
export interface DianpingConsumeCouponResponse {
  /**
   * success 成功, error 失败
   */
  status: 'success' | 'error';
  /**
   * 错误码 (status=error)
   */
  code?: string;
  /**
   * 错误信息 (status=error)
   */
  message?: string;
}
