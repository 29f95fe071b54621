-- The outbox: durable notifications with attempts, next attempt time, lease and last error.

-- name: insert
INSERT INTO outbox (kind, v, destination, dedup_key, payload, state, attempts, next_attempt_at, created_at, updated_at)
VALUES (:kind, :v, :destination, :dedup_key, :payload, 'pending', 0, :next_attempt_at, :now, :now)
ON CONFLICT (destination, dedup_key) DO NOTHING
RETURNING id;

-- name: by_dedup
SELECT * FROM outbox WHERE destination = :destination AND dedup_key = :dedup_key;

-- name: lock_claims
-- Claims run one at a time across all instances (a transaction-level advisory lock, held for the
-- few milliseconds of `claim`), so the in-flight count per destination is exact: without it, two
-- concurrent claims each see the other's leases uncommitted and together exceed the limit.
SELECT pg_advisory_xact_lock(1128398849, 2);

-- name: claim
-- Each destination gets at most :per_destination leases, counting unexpired ones held by anyone.
-- Candidates are taken per destination (so one backlogged partner cannot starve the others) with
-- FOR UPDATE SKIP LOCKED, which passes over rows a concurrent mark/replay is updating right now.
WITH inflight AS (
  SELECT destination, count(*)::int AS n FROM outbox
  WHERE state = 'leased' AND lease_until > :now GROUP BY destination
), dest AS (
  SELECT DISTINCT destination FROM outbox
  WHERE (state = 'pending' AND next_attempt_at <= :now) OR (state = 'leased' AND lease_until <= :now)
), cand AS (
  SELECT c.id, c.next_attempt_at, c.rn + coalesce(i.n, 0) AS slot
  FROM dest d
  LEFT JOIN inflight i ON i.destination = d.destination
  CROSS JOIN LATERAL (
    SELECT x.id, x.next_attempt_at, row_number() OVER (ORDER BY x.next_attempt_at, x.id) AS rn
    FROM (
      SELECT o.id, o.next_attempt_at FROM outbox o
      WHERE o.destination = d.destination
        AND ((o.state = 'pending' AND o.next_attempt_at <= :now) OR (o.state = 'leased' AND o.lease_until <= :now))
      ORDER BY o.next_attempt_at, o.id
      LIMIT :per_destination
      FOR UPDATE SKIP LOCKED
    ) x
  ) c
), picked AS (
  SELECT id FROM cand WHERE slot <= :per_destination ORDER BY next_attempt_at, id LIMIT :limit
)
UPDATE outbox o
SET state = 'leased', leased_by = :worker, lease_until = :lease_until, attempts = o.attempts + 1, updated_at = :now
FROM picked WHERE o.id = picked.id
RETURNING o.*;

-- name: delivered
-- The partner's confirmation is the truth: it wins over a lease taken over, a retry or a dead letter.
UPDATE outbox
SET state = 'delivered', delivered_at = :now, answer_summary = :summary, lease_until = NULL, updated_at = :now
WHERE id = :id AND state IN ('pending', 'leased', 'dead');

-- name: failed
UPDATE outbox
SET state = CASE WHEN :next_attempt_at::timestamptz IS NULL THEN 'dead' ELSE 'pending' END,
  next_attempt_at = coalesce(:next_attempt_at, next_attempt_at),
  last_error = :error, lease_until = NULL, updated_at = :now
WHERE id = :id AND state = 'leased' AND (:worker::text IS NULL OR leased_by = :worker);

-- name: get
SELECT * FROM outbox WHERE id = :id;

-- name: list
SELECT * FROM outbox
WHERE (:state::text IS NULL OR state = :state) AND (:destination::text IS NULL OR destination = :destination)
ORDER BY id LIMIT :limit OFFSET :offset;

-- name: replay_one
UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = :now, leased_by = NULL, updated_at = :now
WHERE id = :id AND state IN ('dead', 'pending');

-- name: replay_dead
UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = :now, leased_by = NULL, updated_at = :now
WHERE state = 'dead';

-- name: purge_delivered
DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < :before;
