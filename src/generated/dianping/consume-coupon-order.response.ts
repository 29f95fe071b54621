/* DO NOT EDIT — generated from schemas/dianping/consume-coupon-order.response.schema.json by npm run gen:types */

/**
 * 优惠券核销和退货统一接口 返回 (seed 004). 错误码: 3002001 订单号不存在,请确认订单号是否正确; 3002002 请先完善订单信息,再尝试操作.
 */
export interface DianpingConsumeCouponOrderResponse {
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
