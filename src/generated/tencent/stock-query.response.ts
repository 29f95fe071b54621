/* DO NOT EDIT — generated from schemas/tencent/stock-query.response.schema.json by npm run gen:types */

/**
 * 查询批次信息 返回数据 (seed 002).
 */
export interface TencentStockQueryResponse {
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
    /**
     * 多租户渠道 ID 0:出行服务 11:手图
     */
    app_channel_id: number;
    /**
     * 小程序 AppId
     */
    app_id: string;
    /**
     * 批次 ID
     */
    stock_id: string;
    /**
     * 批次名称
     */
    stock_name: string;
    /**
     * 批次券使用说明
     */
    instructions: string;
    /**
     * 优惠券名称
     */
    coupon_name: string;
    /**
     * 优惠券描述
     */
    coupon_desc: string;
    /**
     * 优惠券类型 1:满减券 2:减至券 3:折扣券
     */
    coupon_type: 1 | 2 | 3;
    /**
     * 满减券信息
     */
    fixed_normal_coupon?: {
      /**
       * 优惠券面额(单位:分)
       */
      coupon_amount: number;
      /**
       * 优惠券使用门槛(单位:分)
       */
      transaction_minimum: number;
    };
    /**
     * 折扣券信息
     */
    discount_coupon?: {
      /**
       * 最高折扣金额(单位:分)
       */
      discount_amount_max: number;
      /**
       * 折扣百分比,例如 88-八八折
       */
      discount_percent: number;
      /**
       * 使用券金额门槛(单位:分)
       */
      transaction_minimum: number;
    };
    /**
     * 总发券数量
     */
    max_coupons: number;
    /**
     * 单个用户可领个数
     */
    max_coupons_per_user: number;
    /**
     * 可用开始时间,格式: yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
     */
    available_begin_time: string;
    /**
     * 可用结束时间,格式 yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
     */
    available_end_time: string;
    /**
     * 创建时间 yyyy-MM-ddTHH:mm:ss. SSS+TIMEZONE
     */
    create_time: string;
    /**
     * 批次状态 1:未激活 2:审核中 3:运行中 4:已停止 5:暂停发放
     */
    stock_status: 1 | 2 | 3 | 4 | 5;
  };
}
