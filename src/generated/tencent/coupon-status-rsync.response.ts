/* DO NOT EDIT — generated from schemas/tencent/coupon-status-rsync.response.schema.json by npm run gen:types */

/**
 * 同步优惠券状态 返回数据 (seed 002): POST /coupon/status/rsync answers {"code": 0, "message": "successful"}.
 */
export interface TencentCouponStatusRsyncResponse {
  /**
   * 服务响应状态,参见错误码表 (0 success, 400000 400001 400002 400003 400004 400005 400101 500000, business codes from the mapping's code table)
   */
  code: number;
  /**
   * 服务响应状态说明,参见错误码表
   */
  message: string;
  /**
   * 业务数据
   */
  data?: {
    [k: string]: unknown | undefined;
  };
}
