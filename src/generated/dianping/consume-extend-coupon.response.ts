/* DO NOT EDIT — generated from schemas/dianping/consume-extend-coupon.response.schema.json by npm run gen:types */

/**
 * 优惠券附属信息核销 返回 (seed 004). 错误码: 3001002 订单号不存在,请确认订单号是否正确; 3001003 优惠券券号不一致，请确认.
 */
export interface DianpingConsumeExtendCouponResponse {
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
