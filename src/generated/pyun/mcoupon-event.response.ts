/* DO NOT EDIT — generated from schemas/pyun/mcoupon-event.response.schema.json by npm run gen:types */

/**
 * 事件优惠下发 响应 (seed 001). 返回状态码code:1001代表派发成功，其它状态码直接读取message提示信息; 即使http状态非200也要把返回内容读取出来.
 */
export interface PyunMcouponEventResponse {
  /**
   * 返回Code值: 1001 优惠派发成功 1002 车辆未入场 1003 优惠限制 1401 第三方优惠配置不存在 1403 重复派发 1405 车场下发失败 1500 内部错误, 提示message的信息
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
   * 业务数据 (payload.grant_serial: 派发流水)
   */
  payload?: {
    /**
     * 派发流水
     */
    grant_serial?: string;
    [k: string]: unknown | undefined;
  };
  /**
   * 请求路径 (framework errors), e.g. POST /gate/1.0/parking/mcoupon/grant/create
   */
  path?: string;
  /**
   * 车牌号
   */
  plate?: string;
  /**
   * 车辆入场时间
   */
  enter_time?: string;
}
