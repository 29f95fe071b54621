/* DO NOT EDIT — generated from schemas/dianping/consume-extend-coupon.request.schema.json by npm run gen:types */

/**
 * 优惠券附属信息核销 (seed 004): /api/coupon/consumeExtendCoupon, GET POST, SDK Bean GroupExtendCouponRequest. 该接口适合优惠券核心信息核销搭配使用的，在orderId和couponCode通知点评后，后续把点评会员使用该优惠券消费的详细信息通知点评.
 */
export interface DianpingConsumeExtendCouponRequest {
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
   * 品牌名称
   */
  shopName: string;
  /**
   * 优惠券消费时间
   */
  consumeTime: number;
  /**
   * 订单编号
   */
  orderId: string;
  /**
   * 备注信息
   */
  comments?: string;
  /**
   * 订单原始金额
   */
  orderAmount: number | string;
  /**
   * 订单支付金额
   */
  payAmount: number | string;
  /**
   * 订单运费
   */
  freightFee: number | string;
  /**
   * 订单属性
   */
  attributes: string;
}
