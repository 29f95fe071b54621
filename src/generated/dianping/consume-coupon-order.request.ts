/* DO NOT EDIT — generated from schemas/dianping/consume-coupon-order.request.schema.json by npm run gen:types */

/**
 * 优惠券核销和退货统一接口 (seed 004): /api/coupon/consumeCouponOrder, GET POST, SDK Bean GroupCouponOrderRequest. 当orderId不存在的时候，就是核销优惠券，当orderId存在的时候，则是退货.
 */
export interface DianpingConsumeCouponOrderRequest {
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
  couponCode?: string;
  /**
   * 订单编号
   */
  orderId: string;
  /**
   * 品牌名称
   */
  shopName: string;
  /**
   * 订单时间
   */
  consumeTime: number;
  /**
   * 备注信息
   */
  comments?: string;
  /**
   * 订单原始金额
   */
  orderAmount?: number | string;
  /**
   * 订单支付金额
   */
  payAmount: number | string;
  /**
   * 订单运费
   */
  freightFee?: number | string;
  /**
   * 订单属性
   */
  attributes?: string;
}
