/* DO NOT EDIT — generated from schemas/pyun/payment-push.response.schema.json by npm run gen:types */

/**
 * 临停支付订单推送 响应 (seed 003): the receiver answers {"code":"1001"}; anything else makes P云 send again.
 */
export interface PyunPaymentPushResponse {
  /**
   * 状态码 (1001 = received)
   */
  code: string;
  /**
   * 返回描述
   */
  message?: string;
  /**
   * 返回错误说明
   */
  hint?: string;
  /**
   * 服务器日志标示查日志用到查问题尽量提供这个值
   */
  seqno?: string;
  /**
   * 服务节点
   */
  data_node?: string;
  /**
   * 耗时 (integer(int64), 毫秒)
   */
  time_cost?: number;
  /**
   * 业务数据
   */
  payload?: {
    [k: string]: unknown | undefined;
  };
  /**
   * 请求路径 (framework errors), e.g. POST /gate/1.0/parking/mcoupon/grant/create
   */
  path?: string;
}
