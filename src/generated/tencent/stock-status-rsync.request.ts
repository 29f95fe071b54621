/* DO NOT EDIT — generated from schemas/tencent/stock-status-rsync.request.schema.json by npm run gen:types */

/**
 * 同步批次状态 (seed 002): POST /stock/status/rsync. 通用参数 + 业务参数. (The seed's 接口说明 "本接口用于同步用户邮寄信息" is a copy-paste slip; the fields sync a stock's status.)
 */
export interface TencentStockStatusRsyncRequest {
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
   * 批次 ID
   */
  stock_id: string;
  /**
   * 批次状态 1:未激活 2:审核中 3:运行中 4:已停止 5:暂停发放
   */
  stock_status: 1 | 2 | 3 | 4 | 5;
  /**
   * 扩展信息
   */
  extra?: string;
}
