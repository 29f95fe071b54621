/* DO NOT EDIT — generated from schemas/tencent/stock-query.request.schema.json by npm run gen:types */

/**
 * 查询批次信息 (seed 002): 本接口用于查询优惠券批次信息,包括批次券类型、批次有效期、批次券金额等. POST, 请求地址 接入方提供. 通用参数 + 业务参数.
 */
export interface TencentStockQueryRequest {
  /**
   * 接入方 api_key
   */
  api_key: string;
  /**
   * 请求序列号 (UUID)
   */
  seq_id: string;
  /**
   * 时间戳: epoch seconds (published example) or milliseconds, string or number
   */
  timestamp: string | number;
  /**
   * 随机串; a repeat inside the replay window is refused
   */
  nonce: string;
  /**
   * 签名: MD5 of the sorted key=value pairs joined by & with the secret appended, upper-case hex
   */
  sign: string;
  /**
   * 批次 ID(唯一)
   */
  stock_id: string;
  /**
   * 扩展参数
   */
  extra?: string;
}
