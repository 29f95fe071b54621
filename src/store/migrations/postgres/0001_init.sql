-- couponbridge ledger, PostgreSQL. JSON columns are `json` (not jsonb) so a payload is kept
-- exactly as written: an outbox payload compares byte for byte on re-enqueue.
-- Forward only: change the schema with a new numbered file, never by editing this one.

CREATE TABLE idempotency (
  partner text NOT NULL,
  route text NOT NULL,
  business_key text NOT NULL,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('started', 'finished')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  outcome text CHECK (outcome IN ('success', 'terminal')),
  answer_status integer,
  answer_content_type text,
  answer_body bytea,
  PRIMARY KEY (partner, route, business_key),
  CHECK (state = 'started' OR (finished_at IS NOT NULL AND outcome IS NOT NULL AND answer_status IS NOT NULL
    AND answer_content_type IS NOT NULL AND answer_body IS NOT NULL))
);
CREATE INDEX idempotency_finished_at ON idempotency (finished_at) WHERE state = 'finished';

CREATE TABLE nonces (
  scope text NOT NULL,
  nonce text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, nonce)
);
CREATE INDEX nonces_expires_at ON nonces (expires_at);

CREATE TABLE stocks (
  stock_id text PRIMARY KEY,
  status integer,
  presentation json,
  updated_at timestamptz NOT NULL
);

CREATE TABLE coupons (
  id text PRIMARY KEY,
  stock_id text NOT NULL,
  partner text NOT NULL,
  coupon_id text UNIQUE,
  user_code text,
  grant_serial text UNIQUE,
  park_uuid text,
  event_id text,
  coupon_code text UNIQUE,
  coupon_type integer,
  face_value integer,
  valid_from text,
  valid_until text,
  attrs json,
  state text NOT NULL CHECK (state IN ('pending', 'available', 'used', 'expired', 'invalid', 'refunded')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX coupons_stock_user ON coupons (stock_id, user_code);
CREATE INDEX coupons_state ON coupons (state, created_at);

-- No foreign key to coupons: a released reservation's history outlives its row.
CREATE TABLE coupon_transitions (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  coupon_ref text NOT NULL,
  from_state text,
  to_state text,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  exchange_id text,
  reason text
);
CREATE INDEX coupon_transitions_coupon ON coupon_transitions (coupon_ref, seq);

CREATE TABLE orders (
  partner text NOT NULL,
  order_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('consumed', 'refunded')),
  coupon_codes json NOT NULL,
  details json,
  exchange_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (partner, order_id)
);

CREATE TABLE exchanges (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  at timestamptz NOT NULL,
  route text NOT NULL,
  partner text,
  outcome text NOT NULL,
  duration_ms integer,
  data json NOT NULL
);
CREATE INDEX exchanges_at ON exchanges (at);

CREATE TABLE exchange_keys (
  business_key text NOT NULL,
  exchange_id text NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  PRIMARY KEY (business_key, exchange_id)
);
CREATE INDEX exchange_keys_exchange ON exchange_keys (exchange_id);

CREATE TABLE outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind <> ''),
  v integer NOT NULL CHECK (v >= 1),
  destination text NOT NULL CHECK (destination <> ''),
  dedup_key text NOT NULL CHECK (dedup_key <> ''),
  payload json NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'leased', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_until timestamptz,
  leased_by text,
  last_error text,
  answer_summary text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  delivered_at timestamptz,
  UNIQUE (destination, dedup_key)
);
CREATE INDEX outbox_due ON outbox (destination, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_lease ON outbox (lease_until) WHERE state = 'leased';
