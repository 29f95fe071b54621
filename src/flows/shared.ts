/** Small pieces every ledger flow shares (kept here for the callers above the flows). */
export { transportFields } from '../pipeline/idempotency';
