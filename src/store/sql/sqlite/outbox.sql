-- The outbox: durable notifications with attempts, next attempt time, lease and last error.

-- name: insert
INSERT INTO outbox (kind, v, destination, dedup_key, payload, state, attempts, next_attempt_at, created_at, updated_at)
VALUES (:kind, :v, :destination, :dedup_key, :payload, 'pending', 0, :next_attempt_at, :now, :now)
ON CONFLICT (destination, dedup_key) DO NOTHING
RETURNING id;

-- name: by_dedup
SELECT * FROM outbox WHERE destination = :destination AND dedup_key = :dedup_key;

-- name: claim
-- One statement inside BEGIN IMMEDIATE: SQLite has one writer, so no two claims interleave.
-- Each destination gets at most :per_destination leases, counting unexpired ones held by anyone.
-- Only the 512 earliest due rows (and 512 expired leases) are ranked, so a claim costs the same
-- with a backlog of 100 or 100,000 (ranking every due row made it grow with the backlog). A
-- destination with more than 512 older due rows can delay another's until they drain or back off.
WITH inflight AS (
  SELECT destination, count(*) AS n FROM outbox
  WHERE state = 'leased' AND lease_until > :now GROUP BY destination
), due AS (
  SELECT * FROM (
    SELECT id, destination, next_attempt_at FROM outbox
    WHERE state = 'pending' AND next_attempt_at <= :now ORDER BY next_attempt_at, id LIMIT 512
  )
  UNION ALL
  SELECT * FROM (
    SELECT id, destination, next_attempt_at FROM outbox
    WHERE state = 'leased' AND lease_until <= :now ORDER BY lease_until, id LIMIT 512
  )
), ranked AS (
  SELECT d.id, d.next_attempt_at,
    row_number() OVER (PARTITION BY d.destination ORDER BY d.next_attempt_at, d.id) + coalesce(i.n, 0) AS slot
  FROM due d LEFT JOIN inflight i ON i.destination = d.destination
)
UPDATE outbox
SET state = 'leased', leased_by = :worker, lease_until = :lease_until, attempts = attempts + 1, updated_at = :now
WHERE id IN (SELECT id FROM ranked WHERE slot <= :per_destination ORDER BY next_attempt_at, id LIMIT :limit)
RETURNING *;

-- name: delivered
-- The partner's confirmation is the truth: it wins over a lease taken over, a retry or a dead letter.
UPDATE outbox
SET state = 'delivered', delivered_at = :now, answer_summary = :summary, lease_until = NULL, updated_at = :now
WHERE id = :id AND state IN ('pending', 'leased', 'dead');

-- name: failed
UPDATE outbox
SET state = CASE WHEN :next_attempt_at IS NULL THEN 'dead' ELSE 'pending' END,
  next_attempt_at = coalesce(:next_attempt_at, next_attempt_at),
  last_error = :error, lease_until = NULL, updated_at = :now
WHERE id = :id AND state = 'leased' AND (:worker IS NULL OR leased_by = :worker);

-- name: get
SELECT * FROM outbox WHERE id = :id;

-- name: list
SELECT * FROM outbox
WHERE (:state IS NULL OR state = :state) AND (:destination IS NULL OR destination = :destination)
ORDER BY id LIMIT :limit OFFSET :offset;

-- name: replay_one
UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = :now, leased_by = NULL, updated_at = :now
WHERE id = :id AND state IN ('dead', 'pending');

-- name: replay_dead
UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = :now, leased_by = NULL, updated_at = :now
WHERE state = 'dead';

-- name: purge_delivered
DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < :before;
