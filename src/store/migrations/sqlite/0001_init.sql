-- couponbridge ledger, SQLite. Times are UTC ISO-8601 text with milliseconds
-- ('2024-05-01T08:00:00.000Z'): fixed width, so text order is time order. JSON columns hold text.
-- Forward only: change the schema with a new numbered file, never by editing this one.

CREATE TABLE idempotency (
  partner TEXT NOT NULL,
  route TEXT NOT NULL,
  business_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('started', 'finished')),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  outcome TEXT CHECK (outcome IN ('success', 'terminal')),
  answer_status INTEGER,
  answer_content_type TEXT,
  answer_body BLOB,
  PRIMARY KEY (partner, route, business_key),
  CHECK (state = 'started' OR (finished_at IS NOT NULL AND outcome IS NOT NULL AND answer_status IS NOT NULL
    AND answer_content_type IS NOT NULL AND answer_body IS NOT NULL))
);
CREATE INDEX idempotency_finished_at ON idempotency (finished_at) WHERE state = 'finished';

CREATE TABLE nonces (
  scope TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (scope, nonce)
);
CREATE INDEX nonces_expires_at ON nonces (expires_at);

CREATE TABLE stocks (
  stock_id TEXT PRIMARY KEY,
  status INTEGER,
  presentation TEXT,
  updated_at TEXT NOT NULL
);

CREATE TABLE coupons (
  id TEXT PRIMARY KEY,
  stock_id TEXT NOT NULL,
  partner TEXT NOT NULL,
  coupon_id TEXT UNIQUE,
  user_code TEXT,
  grant_serial TEXT UNIQUE,
  park_uuid TEXT,
  event_id TEXT,
  coupon_code TEXT UNIQUE,
  coupon_type INTEGER,
  face_value INTEGER,
  valid_from TEXT,
  valid_until TEXT,
  attrs TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'available', 'used', 'expired', 'invalid', 'refunded')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX coupons_stock_user ON coupons (stock_id, user_code);
CREATE INDEX coupons_state ON coupons (state, created_at);

-- No foreign key to coupons: a released reservation's history outlives its row.
CREATE TABLE coupon_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  coupon_ref TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  exchange_id TEXT,
  reason TEXT
);
CREATE INDEX coupon_transitions_coupon ON coupon_transitions (coupon_ref, seq);

CREATE TABLE orders (
  partner TEXT NOT NULL,
  order_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('consumed', 'refunded')),
  coupon_codes TEXT NOT NULL,
  details TEXT,
  exchange_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (partner, order_id)
);

CREATE TABLE exchanges (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,
  route TEXT NOT NULL,
  partner TEXT,
  outcome TEXT NOT NULL,
  duration_ms INTEGER,
  data TEXT NOT NULL
);
CREATE INDEX exchanges_at ON exchanges (at);

CREATE TABLE exchange_keys (
  business_key TEXT NOT NULL,
  exchange_id TEXT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  PRIMARY KEY (business_key, exchange_id)
);
CREATE INDEX exchange_keys_exchange ON exchange_keys (exchange_id);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind <> ''),
  v INTEGER NOT NULL CHECK (v >= 1),
  destination TEXT NOT NULL CHECK (destination <> ''),
  dedup_key TEXT NOT NULL CHECK (dedup_key <> ''),
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  leased_by TEXT,
  last_error TEXT,
  answer_summary TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  delivered_at TEXT,
  UNIQUE (destination, dedup_key)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_lease ON outbox (state, lease_until);
