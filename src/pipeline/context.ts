/**
 * The state of one exchange as it moves through the pipeline. Stages read what earlier
 * stages left and add their own result; the journal and the dry run read the same object.
 */
import { randomBytes } from 'node:crypto';
import type {
  Answer,
  OutboundRequest,
  ParsedMessage,
  RawRequest,
  Signature,
  UpstreamAnswer,
} from '../dialects/types';
import type { CompiledBranch, MapContext } from '../mapping/compile';
import type { Partner, Route, Runtime } from '../runtime';
import type { AnomalyInput } from '../store/types';

export interface Outbound extends OutboundRequest {
  signature: Signature;
  message: Record<string, unknown>;
  url: string;
}

export type UpstreamOutcome =
  | { kind: 'answer'; answer: UpstreamAnswer; body: unknown; code: string | undefined }
  | { kind: 'http_error'; answer: UpstreamAnswer }
  | { kind: 'unreadable'; answer: UpstreamAnswer; reason: string }
  | { kind: 'timeout' | 'unreachable'; detail: string };

export interface Exchange {
  id: string;
  rt: Runtime;
  route: Route;
  raw: RawRequest;
  startedAt: number;
  now: Date;
  msg?: ParsedMessage;
  partner?: Partner;
  /** Position in the partner's `secrets` of the secret that verified (0: current). */
  secretIndex?: number;
  map?: MapContext;
  branch?: CompiledBranch;
  /** Every branch selected, in order (a flow may select one per coupon); the contract tests' coverage reads it. */
  selected?: string[];
  outbound?: Outbound;
  upstream?: UpstreamOutcome;
  answer?: Answer;
  /** 'success' | 'recorded' | 'replayed' | a CbCode | 'upstream:<code>' | a transport failure */
  outcome?: string;
  /** Whether the outcome may succeed on a retry (decides idempotency abandon vs. replay). */
  retryable?: boolean;
  /** Keys `couponbridge trace` finds this exchange by (request_id, coupon ids, orderId…). */
  businessKeys: string[];
  /** The same signed request was already received on this route (Dianping): a verbatim repeat. */
  signatureRepeat?: boolean;
  /** Extra facts a flow records for the journal (ledger changes, skipped calls…). */
  notes: string[];
  /** What settlement must show a person (reconcile/anomalies.ts); stored with the journal record. */
  anomalies?: AnomalyInput[];
}

// A random per-process prefix and a counter: unique across instances and restarts, and cheap
// (no random bytes drawn per request on the hot path).
const idPrefix = `x${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
let idCounter = 0;

export function newExchangeId(): string {
  idCounter = (idCounter + 1) % 0x7fffffff;
  return `${idPrefix}${idCounter.toString(36)}`;
}

export function newExchange(rt: Runtime, route: Route, raw: RawRequest, now = new Date()): Exchange {
  return {
    id: newExchangeId(),
    rt,
    route,
    raw,
    startedAt: performance.now(),
    now,
    businessKeys: [],
    notes: [],
  };
}
