/* DO NOT EDIT — generated from schemas/dianping/consume-coupon.request.schema.json by npm run gen:types */

/**
 * 优惠券核销 (seed 004): /api/coupon/consumeCoupon, GET POST, SDK Bean GroupCouponRequest. 点评用户通过该优惠券在合作方消费后，合作方将券信息传送给点评，通知点评该优惠券被消费，以核销掉该优惠券.
 */
export interface DianpingConsumeCouponRequest {
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
   * 优惠券券号,使用多张的话，使用List转JSON，如:["DP85","DP95"]
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
