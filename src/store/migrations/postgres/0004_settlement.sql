-- Settlement and reconciliation (issue 17): indexes for a period's statement and discrepancies,
-- and the anomalies exchanges noticed (unknown coupons in P云 pushes, refused redemptions).

-- A period's transitions by time; covering, so a statement reads the index and one coupon row each.
CREATE INDEX coupon_transitions_at ON coupon_transitions (at) INCLUDE (to_state, from_state, actor, coupon_ref, exchange_id);
-- Dead and overdue notifications by state and creation time.
CREATE INDEX outbox_state_created ON outbox (state, created_at);
-- Orders still waiting for their details, by creation time.
CREATE INDEX orders_created ON orders (created_at) WHERE details IS NULL;

-- Written with the exchange's journal record (off the request path); no foreign key, so an
-- anomaly outlives the pruned journal row it came from: settlement needs it longer.
CREATE TABLE exchange_anomalies (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  exchange_id text NOT NULL,
  at timestamptz NOT NULL,
  route text NOT NULL,
  partner text,
  kind text NOT NULL,
  ref text NOT NULL,
  code text,
  detail text NOT NULL
);
CREATE INDEX exchange_anomalies_at ON exchange_anomalies (at);
