/* DO NOT EDIT — generated from schemas/pyun/payment-push.request.schema.json by npm run gen:types */

/**
 * 临停支付订单推送 (seed 003): P云 POSTs a paid temporary-parking order to a third party (form). 推送必须基于有效的车牌白名单. 优惠券只包含第三方优惠券，P云平台券，微信立减金等银行渠道优惠不会推送.
 */
export interface PyunPaymentPushRequest {
  /**
   * 平台分配的接入应用ID
   */
  app_id: string;
  /**
   * 请求时间戳, 毫秒
   */
  timestamp: string | number;
  /**
   * 签名方式, 固定 MD5
   */
  sign_type: 'MD5';
  /**
   * 请求数据签名 (MD5 hex; sent upper case, compared case-insensitively)
   */
  sign: string;
  /**
   * 停车场编号
   */
  park_uuid: string;
  /**
   * 停车场名称
   */
  park_name: string;
  /**
   * 平台停车流水
   */
  parking_serial: string;
  /**
   * 平台支付流水 (de-duplication key)
   */
  pay_serial: string;
  /**
   * 支付金额，分
   */
  pay_value: number;
  /**
   * 支付时间戳，毫秒
   */
  pay_time: string | number;
  /**
   * 车牌
   */
  plate: string;
  /**
   * 支付渠道
   */
  channel: string;
  /**
   * 平台用户标识
   */
  identity: string;
  /**
   * 当前订单使用折扣信息 (a JSON list in a form field, e.g. "[]")
   */
  discounts?: string;
  /**
   * 停车商户优惠信息 (a JSON list in a form field)
   */
  mcoupons?: string;
}
