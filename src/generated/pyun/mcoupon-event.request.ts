/* DO NOT EDIT — generated from schemas/pyun/mcoupon-event.request.schema.json by npm run gen:types */

/**
 * 事件优惠下发 (seed 001): POST /gate/1.0/parking/mcoupon/event, HTTP POST FORM 表单提交. 一个第三方服务对应一个车场的下发优惠券类型固定，由平台配置.
 */
export interface PyunMcouponEventRequest {
  /**
   * 平台分配的接入应用ID
   */
  app_id: string;
  /**
   * 请求时间戳, 毫秒
   */
  timestamp?: string | number;
  /**
   * 签名方式, 固定 MD5
   */
  sign_type?: 'MD5';
  /**
   * 请求数据签名 (MD5 hex; sent upper case, compared case-insensitively)
   */
  sign: string;
  /**
   * 车场对应第三方平台ID
   */
  api_store_code: string;
  /**
   * 第三方服务类型(该字段由平台分配，固定)
   */
  api_type: string;
  /**
   * 第三方订单号, 需保证在第三方平台唯一 (idempotency key: 1403 重复派发 on repeat)
   */
  event_id: string;
  /**
   * 车牌号
   */
  plate: string;
  /**
   * 优惠事件描述，如“【粤BD07627】于【2020-09-08 17:15:58 - 2020-09-08 17:45:26】充电 1119.62 KWH 时长 29 分钟”
   */
  subject: string;
  /**
   * 业务元数据, 该参数key为表示业务类型的某一固定值，由平台提供；EventMetadata参数参考下方；该字段固定优惠规则可不传； (map<string, EventMetadata> as a JSON string)
   */
  metadata?: string;
}
