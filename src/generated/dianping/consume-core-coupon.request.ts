/* DO NOT EDIT — generated from schemas/dianping/consume-core-coupon.request.schema.json by npm run gen:types */

/**
 * 优惠券核心信息核销 (seed 004): /api/coupon/consumeCoreCoupon, GET POST, SDK Bean GroupCoreCouponRequest. 该接口通知点评该优惠券被消费，具体的订单信息在优惠券附属信息核销接口的调用通知点评.
 */
export interface DianpingConsumeCoreCouponRequest {
  /**
   * appKey (classic scheme)
   */
  appkey?: string;
  /**
   * 签名: SHA-1 hex (classic) or MD5 hex (router)
   */
  sign: string;
  /**
   * appKey (router scheme)
   */
  app_key?: string;
  /**
   * 请求时间 (router scheme)
   */
  timestamp?: string;
  /**
   * 返回格式, e.g. json (router scheme)
   */
  format?: string;
  /**
   * API 版本 (router scheme)
   */
  v?: string;
  /**
   * 签名方法, MD5 (router scheme)
   */
  sign_method?: string;
  /**
   * 会话授权码 (router scheme)
   */
  session?: string;
  /**
   * 优惠券券号
   */
  couponCode: string;
  /**
   * 优惠券消 (消费时间)
   */
  consumeTime: number;
}
