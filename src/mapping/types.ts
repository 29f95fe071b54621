/** Shapes of mapping files (schemas/mapping/*.schema.json) as loaded from YAML. */
export type Expression =
  | string
  | {
      from?: string;
      const?: unknown;
      first?: Expression[];
      template?: string;
      map?: Record<string, unknown>;
      map_default?: unknown;
      convert?: string;
      default?: unknown;
      default_now?: 'utc' | 'cst' | 'epoch_ms' | 'epoch_s';
      optional?: boolean;
    };

/**
 * The flows a route mapping may name (`flow:`). The registry (src/flows/registry.ts) implements
 * every one of them — its type says so — and the checker reads this list, not the flows.
 */
export const flowNames = [
  'translate',
  'claim',
  'stock-query',
  'deactivate',
  'stock-sync',
  'dianping-consume',
  'dianping-core',
  'dianping-extend',
  'dianping-order',
  'payment-push',
] as const;

export type Flow = (typeof flowNames)[number];

export interface CodeEntryDoc {
  success?: boolean;
  code?: string | number;
  message?: string;
  status?: number;
  retry?: boolean;
}

export interface BranchDoc {
  name: string;
  when?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  action?: 'call' | 'record' | 'reject' | 'enqueue';
  enqueue?: { kind: string; v: number; dedup: string; per?: 'coupon' | 'partner' };
  schema?: string;
  fields?: Record<string, Expression>;
  error?: { cb_code: string; message?: string };
  ledger_state?: 'used' | 'expired' | 'invalid';
}

export interface MappingDoc {
  $schema: string;
  id: string;
  description?: string;
  flow: Flow;
  inbound: {
    dialect: string;
    methods?: Array<'GET' | 'POST'>;
    path: string;
    schema: string;
    answer_schema: string;
    /** The inbound field holding the business key, or that field with a prefix. */
    idempotency_key?: string | { field: string; prefix?: string };
    /**
     * Each code named by the `each` field is claimed for one owner at a time in the namespace
     * `scope`, shared by every route declaring it (Dianping: two orders never redeem one code).
     */
    claims?: { each: string; scope: string };
    caller?: 'partner' | 'upstream';
    /**
     * The error codes (couponbridge's catalog, src/errors.ts) this route may answer to a message
     * its schema accepts (unknown stock, unknown coupon …): the generated contract checks accept
     * these refusals of a valid message and fail on any other (docs/generated-checks.md).
     */
    refusals?: string[];
  };
  target?: {
    dialect: string;
    upstream?: string;
    method?: 'GET' | 'POST';
    path: string;
    encoding?: 'form' | 'json' | 'query';
    answer_schema?: string;
  };
  ledger?: { coupon: string; register?: boolean };
  provided?: string[];
  vars?: Record<string, Expression>;
  branches?: BranchDoc[];
  answer?: {
    data?: Record<string, Expression>;
    message?: string;
    /** Local entries; with codes_from they override the named table's rows of the same key. */
    codes?: Record<string, CodeEntryDoc>;
    /** A shared code table, mappings/codes/<name>.yaml (schemas/mapping/codes.schema.json). */
    codes_from?: string;
  };
}

/** What an upstream code means whoever asked: delivered, worth another attempt, or final. */
export type CodeOutcome = 'success' | 'retry' | 'terminal';

/** How one caller dialect is answered for a code (its own code, and what differs from the row). */
export interface CallerAnswerDoc {
  code: string | number;
  message?: string;
  status?: number;
  retry?: boolean;
}

export interface CodeRowDoc {
  outcome: CodeOutcome;
  /** Message template used when the caller's entry has none (and by notify mappings). */
  message?: string;
  /** Caller dialect → its answer; a notify mapping (no caller) reads only outcome and message. */
  callers?: Record<string, CallerAnswerDoc>;
}

/** A shared, named table of one upstream dialect's answer codes (mappings/codes/<name>.yaml). */
export interface CodeTableDoc {
  $schema: string;
  dialect: string;
  description?: string;
  codes: Record<string, CodeRowDoc>;
}

/**
 * A notification kind@v (`flow: notify`): how the outbox delivers rows of `notify.kind` and
 * `notify.v`. No inbound route: `in.*` is the row's payload, described by `notify.payload_schema`.
 */
export interface NotifyDoc extends Pick<MappingDoc, '$schema' | 'id' | 'description' | 'vars' | 'answer'> {
  flow: 'notify';
  notify: { kind: string; v: number; payload_schema: string };
  target: NonNullable<MappingDoc['target']>;
  branches: BranchDoc[];
}

export interface StockEntry {
  /** The partners allowed on this stock (claim, query, sync); to anyone else it does not exist. */
  partners: string[];
  park_uuid: string;
  store_code?: string;
  api_store_code?: string;
  api_type?: string;
  metadata?: Record<string, { name: string; value: number }>;
  subject?: string;
  pyun_discount_type?: number;
  coupon_value_unit?: 'fen' | 'minutes';
  app_id?: string;
  app_channel_id?: number;
  stock_name?: string;
  instructions?: string;
  coupon_name?: string;
  coupon_desc?: string;
  coupon_type: 1 | 2 | 3;
  face_value_fen: number;
  transaction_minimum_fen?: number;
  discount_percent?: number;
  discount_amount_max_fen?: number;
  max_coupons: number;
  max_coupons_per_user: number;
  available_begin_time: string;
  available_end_time: string;
  create_time?: string;
  stock_status: 1 | 2 | 3 | 4 | 5;
}

export interface StocksDoc {
  $schema: string;
  stocks: Record<string, StockEntry>;
}
