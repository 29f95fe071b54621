/**
 * The flows' one idempotency wrapper. The key is what the route's mapping declares,
 * `inbound.idempotency_key`: an inbound field (`request_id`, `orderId`, `pay_serial`), optionally
 * with a prefix (`{ field: orderId, prefix: 'consume:' }`). A flow says only what runs once and,
 * where its protocol wants one, the answer to a repeat; no flow names its key.
 */
import { CbError } from '../errors';
import type { Answer, Dialect } from '../dialects/types';
import type { MappingDoc } from '../mapping/types';
import type { IdemKey } from '../store/types';
import { commonFields } from '../mapping/common-fields';
import {
  defaultIdempotency,
  fingerprint,
  idempotent,
  type IdempotencyOptions,
  type RunResult,
} from '../ledger/idempotency';
import type { Exchange } from './context';

export interface DeclaredKey {
  field: string;
  prefix: string;
}

/** The mapping's declared key, normalised; undefined when it declares none. */
export function declaredKey(doc: MappingDoc): DeclaredKey | undefined {
  const k = doc.inbound.idempotency_key;
  if (k === undefined) return undefined;
  return typeof k === 'string' ? { field: k, prefix: '' } : { field: k.field, prefix: k.prefix ?? '' };
}

/** The business key of this message: the declared field's value, with the declared prefix. */
export function idempotencyKey(x: Exchange): { field: string; value: string; key: string } {
  const d = declaredKey(x.route.doc);
  if (!d) {
    throw new CbError(
      'CB_MAPPING_FAILED',
      `flow ${x.route.doc.flow} needs inbound.idempotency_key in mapping ${x.route.id}`,
    );
  }
  const raw = x.msg!.fields[d.field];
  if (raw === undefined || raw === null || raw === '')
    throw new CbError('CB_SCHEMA_INVALID', `${d.field}: required (the idempotency key)`);
  const value = String(raw);
  return { field: d.field, value, key: `${d.prefix}${value}` };
}

const transportCache = new Map<string, string[]>();

/**
 * The fields a dialect's transport adds to every message (key id, timestamp, nonce, seq_id,
 * signature): they differ between a request and its retry, so idempotency fingerprints skip them.
 */
export function transportFields(d: Dialect): string[] {
  let f = transportCache.get(d.name);
  if (!f) {
    f = commonFields(d, 'form');
    transportCache.set(d.name, f);
  }
  return f;
}

/** The idempotency record of this message: (partner, route, declared key), and its payload's fingerprint. */
export function idempotencyRecord(x: Exchange): { k: IdemKey; fp: string; field: string; value: string } {
  const { field, value, key } = idempotencyKey(x);
  return {
    k: { partner: x.partner!.id, route: x.route.id, key },
    fp: fingerprint(x.msg!.fields, transportFields(x.route.dialect)),
    field,
    value,
  };
}

export interface OnceOptions {
  /** The answer to a repeat of a key that succeeded, whatever its payload (Dianping: 3001001). */
  onRepeat?: () => Answer;
  options?: IdempotencyOptions;
}

/**
 * Runs `run` once per (partner, route, declared key): a concurrent duplicate waits for the first
 * answer; a repeat after success answers `onRepeat` or the stored answer, byte for byte; a
 * retryable failure leaves no record. A replay sets x.answer (and x.outcome `replayed` unless
 * onRepeat set one).
 */
export async function once(
  x: Exchange,
  run: (k: IdemKey) => Promise<RunResult>,
  opts: OnceOptions = {},
): Promise<void> {
  const { k, fp, field, value } = idempotencyRecord(x);
  const repeat = opts.onRepeat ? { onRepeat: opts.onRepeat, repeatIgnoresPayload: true } : {};
  const { answer, replayed } = await idempotent(
    x.rt.store,
    k,
    fp,
    run,
    opts.options ?? defaultIdempotency,
    repeat,
  );
  if (replayed) {
    x.answer = answer;
    x.outcome ??= 'replayed';
    x.notes.push(`${field} ${value} answered from its idempotency record`);
  }
}
