-- Coupons and their history. State changes are checked against ledger/state-machine.ts between
-- `lock_many` (row locks, taken in id order so two batches cannot deadlock) and `set_state`.

-- name: insert
INSERT INTO coupons (id, stock_id, partner, coupon_id, user_code, grant_serial, park_uuid, event_id,
  coupon_code, coupon_type, face_value, valid_from, valid_until, attrs, state, created_at, updated_at)
VALUES (:id, :stock_id, :partner, :coupon_id, :user_code, :grant_serial, :park_uuid, :event_id,
  :coupon_code, :coupon_type, :face_value, :valid_from, :valid_until, :attrs, :state, :now, :now)
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: lock_stock
-- Serialises reservations on one stock across every process sharing the database; held until
-- commit, so the next reservation's count sees this one. (A counter row would need a row per
-- catalogue stock even before any sync; an advisory lock needs none. 0x43420001 = 'CB' + 1.)
SELECT pg_advisory_xact_lock(1128398849, hashtext(:stock_id));

-- name: quota_counts
-- The stock's total from its counter row (migration 0002); the user's from the (stock, user) index.
SELECT coalesce((SELECT issued FROM stock_counters WHERE stock_id = :stock_id), 0)::int AS total,
  (SELECT count(*) FROM coupons WHERE stock_id = :stock_id AND user_code = :user_code)::int AS user_total;

-- name: patch
-- NULL (an undefined field) keeps the stored value; the state is never touched here.
UPDATE coupons SET
  coupon_id = coalesce(:coupon_id, coupon_id),
  user_code = coalesce(:user_code, user_code),
  grant_serial = coalesce(:grant_serial, grant_serial),
  park_uuid = coalesce(:park_uuid, park_uuid),
  event_id = coalesce(:event_id, event_id),
  coupon_code = coalesce(:coupon_code, coupon_code),
  coupon_type = coalesce(:coupon_type, coupon_type),
  face_value = coalesce(:face_value, face_value),
  valid_from = coalesce(:valid_from, valid_from),
  valid_until = coalesce(:valid_until, valid_until),
  attrs = coalesce(:attrs, attrs),
  updated_at = :now
WHERE id = :id
RETURNING *;

-- name: activate
-- pending → available with the grant's fields, its history line and, when :key is given, the
-- claim's idempotency answer (idempotency.finish's rule), in ONE statement: one round trip, atomic.
-- No row: the coupon is not pending (or unknown); the store then takes the locking path, which
-- says why.
WITH c AS (
  UPDATE coupons SET
    coupon_id = coalesce(:coupon_id, coupon_id),
    user_code = coalesce(:user_code, user_code),
    grant_serial = coalesce(:grant_serial, grant_serial),
    park_uuid = coalesce(:park_uuid, park_uuid),
    event_id = coalesce(:event_id, event_id),
    coupon_code = coalesce(:coupon_code, coupon_code),
    coupon_type = coalesce(:coupon_type, coupon_type),
    face_value = coalesce(:face_value, face_value),
    valid_from = coalesce(:valid_from, valid_from),
    valid_until = coalesce(:valid_until, valid_until),
    attrs = coalesce(:attrs, attrs),
    state = 'available',
    updated_at = :at
  WHERE id = :id AND state = 'pending'
  RETURNING *
), t AS (
  INSERT INTO coupon_transitions (coupon_ref, from_state, to_state, at, actor, exchange_id, reason)
  SELECT id, 'pending', 'available', :at, :actor, :exchange_id, :reason FROM c
), f AS (
  UPDATE idempotency
  SET state = 'finished', finished_at = :finished_at, outcome = :outcome,
    answer_status = :status, answer_content_type = :content_type, answer_body = :body
  WHERE partner = :partner AND route = :route AND business_key = :key AND state = 'started'
    AND EXISTS (SELECT 1 FROM c)
)
SELECT * FROM c;

-- name: set_state
UPDATE coupons SET state = :to, updated_at = :now WHERE id = :id AND state = :from
RETURNING *;

-- name: delete_pending
DELETE FROM coupons WHERE id = :id AND state = 'pending';

-- name: by_id
SELECT * FROM coupons WHERE id = :id;

-- name: lock_many
SELECT * FROM coupons WHERE id = ANY(:ids::text[]) ORDER BY id FOR UPDATE;

-- name: by_coupon_id
SELECT * FROM coupons WHERE coupon_id = :coupon_id;

-- name: by_grant_serial
SELECT * FROM coupons WHERE grant_serial = :grant_serial;

-- name: by_coupon_code
SELECT * FROM coupons WHERE coupon_code = :coupon_code;

-- name: count_by_state
SELECT state, count(*)::int AS n FROM coupons WHERE stock_id = :stock_id GROUP BY state;

-- name: list
SELECT * FROM coupons
WHERE (:state::text IS NULL OR state = :state) AND (:stock_id::text IS NULL OR stock_id = :stock_id)
ORDER BY created_at, id
LIMIT :limit OFFSET :offset;

-- name: record_transition
INSERT INTO coupon_transitions (coupon_ref, from_state, to_state, at, actor, exchange_id, reason)
VALUES (:coupon_ref, :from_state, :to_state, :at, :actor, :exchange_id, :reason);

-- name: history
SELECT coupon_ref, from_state, to_state, at, actor, exchange_id, reason
FROM coupon_transitions WHERE coupon_ref = :coupon_ref ORDER BY seq;
