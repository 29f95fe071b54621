/* DO NOT EDIT — generated from schemas/pyun/grant-sync.response.schema.json by npm run gen:types */

/**
 * 商户优惠券状态核销 响应 (seed 000), for both the redeem and the expire form.
 */
export interface PyunGrantSyncResponse {
  /**
   * 1001：成功 其它失败
   */
  code: string;
  /**
   * 返回描述
   */
  message: string;
  /**
   * 返回错误说明
   */
  hint?: string;
  /**
   * 服务器日志标示查日志用到查问题尽量提供这个值
   */
  seqno: string;
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
