/**
 * The contract every dialect folder implements. Code outside src/dialects/ imports only this
 * file and src/dialects/index.ts (enforced by ESLint no-restricted-imports).
 */
import type { InFlightLimit } from '../http/in-flight';
import type { IncomingHttpHeaders } from 'node:http';
import type { CbCode } from '../errors';

/** The built-in schemes' names, derived from each dialect folder's scheme-names.ts. */
export type { SchemeName } from './scheme-names';

/** How empty strings take part in a signature ("assumption" points of protocols.md). */
export interface SchemeOptions {
  /** 'skip': drop "" like null/absent; 'sign': write `key=` (or `key` for dianping). */
  emptyValues?: 'skip' | 'sign';
}

/**
 * What a signer signs. `params`: values exactly as on the wire (strings are used verbatim;
 * numbers as their text; objects/arrays as compact JSON — sorted keys for pyun-json-push-md5).
 * `body`: the exact raw body, for pyun-json-md5. `appKey`: dianping-sha1's prefix.
 */
export interface SignInput {
  params?: Record<string, unknown>;
  body?: string;
  appKey?: string;
}

export interface Signature {
  sign: string;
  stringToSign: string;
  /** stringToSign with the secret replaced by `***` — safe to show to callers and logs. */
  maskedStringToSign: string;
}

export type VerifyOutcome =
  | { ok: true }
  | {
      ok: false;
      /** Which catalog code the failure is: no signature at all, or a wrong one. */
      code?: 'CB_SIGN_MISSING' | 'CB_SIGN_MISMATCH';
      reason: string;
      maskedStringToSign: string;
    };

/** A signature scheme; N narrows its name (the built-in schemes have a SchemeName). */
export interface SignatureScheme<N extends string = string> {
  readonly name: N;
  sign(input: SignInput, secret: string, opts?: SchemeOptions): Signature;
  /** Recomputes and compares in constant time (hex compared case-insensitively). */
  verify(input: SignInput, secret: string, received: string, opts?: SchemeOptions): VerifyOutcome;
}

export type BodyEncoding = 'json' | 'form' | 'query';

/** A request as received, before any dialect interpretation. */
export interface RawRequest {
  method: string;
  path: string;
  /** Query string without '?', '' when absent. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A parsed inbound message. */
export interface ParsedMessage {
  encoding: BodyEncoding;
  /** The message: JSON body as parsed, or form/query fields as strings (JSON-string fields NOT decoded). */
  fields: Record<string, unknown>;
  /**
   * The values that take part in the signature, exactly as received: for form/query the raw
   * decoded strings (repeated keys: last wins); for JSON the top-level values where strings are
   * the decoded string, numbers their original text and objects/arrays their compact JSON text.
   */
  signingParams: Record<string, string>;
  /** The exact raw body text (pyun-json-md5 signs it). */
  rawBody: string;
}

/** An error answer in dialect terms (already mapped from a CbCode or from a code table). */
export interface DialectError {
  code: string | number;
  message: string;
  hint?: string;
}

export interface Answer {
  status: number;
  contentType: string;
  body: string;
  /** The value `body` serialises, when the envelope built it from one (saves parsing it back). */
  json?: unknown;
}

export interface Envelope {
  /** A success answer, e.g. tencent {"code":0,"message":"successful","data":…}. */
  success(data?: unknown, message?: string, entropy?: Entropy): Answer;
  /** An error answer in the dialect's exact shape. */
  error(err: DialectError, httpStatus?: number, entropy?: Entropy): Answer;
  /** True when a parsed answer body of this dialect means success (pyun "1001", tencent 0, dianping "success"). */
  isSuccess(body: unknown): boolean;
  /** The code of a parsed answer body, as a string ('1001', '0', 'success' / '3001001'), or undefined if unreadable. */
  codeOf(body: unknown): string | undefined;
  messageOf(body: unknown): string | undefined;
}

/** Credentials of one party, normalised from the dialect-specific config keys. */
export interface Credentials {
  /** pyun app_id, tencent api_key, dianping app_key. */
  keyId: string;
  secret: string;
  /** A scheme of the party's dialect (a SchemeName for the built-in dialects). */
  scheme: string;
  schemeOptions?: SchemeOptions;
}

/**
 * Where fresh random values in messages and answers come from (nonces, request ids, log
 * references). Absent: node:crypto (shared/entropy.ts); the contract tests inject a counter.
 */
export interface Entropy {
  uuid(): string;
  /** `n` random decimal digits. */
  digits(n: number): string;
  /** `bytes` random bytes as lowercase hex. */
  hex(bytes: number): string;
}

/** Upstream call, built by the pipeline and signed by the dialect. */
export interface OutboundRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  elapsedMs: number;
}

export interface ClientOptions {
  baseUrl: string;
  timeoutMs: number;
  connectTimeoutMs?: number;
  /** Keep-alive pool size. */
  connections?: number;
  /** Shared cap on calls in flight to this upstream; absent: no cap (the outbox bounds its own). */
  inFlight?: InFlightLimit;
}

export interface UpstreamClient {
  /** Throws CbError CB_UPSTREAM_TIMEOUT / CB_UPSTREAM_UNREACHABLE / CB_UPSTREAM_BUSY; returns any HTTP status with its body. */
  send(req: OutboundRequest, opts?: { timeoutMs?: number }): Promise<UpstreamAnswer>;
  close(): Promise<void>;
}

export interface Dialect {
  readonly name: string;
  /** Config keys of a partner/upstream entry holding the key id and the secret. */
  readonly credentialKeys: { keyId: string; secret: string };
  readonly defaultScheme: string;
  /** Parses a raw request in this dialect's transport (e.g. tencent: JSON; dianping: query or form). */
  parse(req: RawRequest): ParsedMessage;
  /** The key id the caller claims (tencent api_key, dianping appkey/app_key, pyun app_id), if any. */
  identify(msg: ParsedMessage, req: RawRequest): string | undefined;
  /** Verifies the caller's signature with its credentials. */
  verify(msg: ParsedMessage, req: RawRequest, creds: Credentials): VerifyOutcome;
  /**
   * Adds common parameters (app_id/api_key, timestamp, nonce, sign_type, …) and the signature to an
   * outbound message, and encodes it. `fields` holds the business fields (strings/numbers/objects).
   */
  buildRequest(
    endpoint: { method: 'GET' | 'POST'; path: string; encoding: BodyEncoding },
    fields: Record<string, unknown>,
    creds: Credentials,
    now?: Date,
    entropy?: Entropy,
  ): OutboundRequest & {
    signature: Signature;
    /** The complete message as sent (business fields + common parameters + sign), before encoding. */
    message: Record<string, unknown>;
  };
  readonly envelope: Envelope;
  /**
   * Replay protection of inbound messages (tencent: timestamp window + nonce); absent for
   * dialects whose scheme carries neither.
   */
  readonly replay?: { timestampField: string; nonceField: string };
  /**
   * Replay protection for a dialect whose messages carry no nonce (dianping): a signature seen
   * before is refused for `replay.signature_memory_days` (pipeline/stages/signature-replay.ts).
   */
  readonly signatureMemory?: boolean;
  /** Answer codes this dialect's platform is known to use, code → meaning (mapping code tables are checked against them). */
  readonly knownAnswerCodes: Record<string, string>;
  /** Maps every catalog code to this dialect's error code. */
  readonly codes: Record<CbCode, string | number>;
  createClient(opts: ClientOptions): UpstreamClient;
}

/** JSON Schema as plain data (a fragment of the configuration schema). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * The `upstreams.<name>` section of the configuration, for a dialect couponbridge can call. The
 * configuration builder (src/config/schema.ts) gives every section base_url, the dialect's
 * credential keys, timeout_ms and max_in_flight; the dialect adds its own options here.
 */
export interface UpstreamOptions {
  /** required: every deployment configures it (P云: the flows end there); optional: only when declared. */
  readonly section: 'required' | 'optional';
  /**
   * The dialect's own options as JSON-schema properties; `{ $ref: '#/$defs/…' }` names a shared
   * definition of the configuration schema (httpUrl, keyId, secret, durationMs, emptyValues).
   */
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  /** Keys that must be given besides the credential keys, timeout_ms and max_in_flight (e.g. base_url). */
  readonly required?: readonly string[];
  /** Defaults of the section when couponbridge.default.yaml has none for it (a dialect outside src/). */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Non-fatal findings about a configured section, one message each (printed as startup warnings). */
  warnings?(section: Readonly<Record<string, unknown>>): string[];
}

/**
 * Raw calls a partner of this dialect may make to the platform's own API through couponbridge
 * (src/server/passthrough.ts): `/<dialect name><prefix>…` is re-signed and forwarded to
 * `<prefix>…` at the upstream of the same name, if `passthrough.allow` lists the path.
 */
export interface PassthroughOptions {
  /** Path prefix at the platform, e.g. "/gate". */
  readonly prefix: string;
  /** Field carrying the caller's epoch-millisecond timestamp (freshness check). */
  readonly timestampField: string;
}

/**
 * Everything couponbridge knows about a dialect, exported by its folder and listed in
 * src/dialects/registry.ts (or registered at runtime with registerDialect): the codec, signer,
 * envelope, codes and client (`dialect`), its signature schemes, and its configuration.
 */
export interface DialectDescriptor {
  readonly dialect: Dialect;
  /** Every scheme a party of this dialect may use; `dialect.defaultScheme` is one of them. */
  readonly schemes: readonly SignatureScheme[];
  /** Present when couponbridge can call this platform (`upstreams.<name>`). */
  readonly upstream?: UpstreamOptions;
  readonly passthrough?: PassthroughOptions;
}
