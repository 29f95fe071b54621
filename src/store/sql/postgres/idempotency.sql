-- Idempotency records keyed by (partner, route, business_key): started | finished.

-- name: insert_started
INSERT INTO idempotency (partner, route, business_key, fingerprint, state, started_at)
VALUES (:partner, :route, :key, :fingerprint, 'started', :now)
ON CONFLICT (partner, route, business_key) DO NOTHING
RETURNING state;

-- name: insert_finished
INSERT INTO idempotency (partner, route, business_key, fingerprint, state, started_at, finished_at, outcome,
  answer_status, answer_content_type, answer_body)
VALUES (:partner, :route, :key, :fingerprint, 'finished', :now, :now, :outcome, :status, :content_type, :body)
ON CONFLICT (partner, route, business_key) DO NOTHING
RETURNING state;

-- name: get
SELECT fingerprint, state, started_at, finished_at, outcome, answer_status, answer_content_type, answer_body
FROM idempotency
WHERE partner = :partner AND route = :route AND business_key = :key;

-- name: finish
UPDATE idempotency
SET state = 'finished', finished_at = :now, outcome = :outcome,
  answer_status = :status, answer_content_type = :content_type, answer_body = :body
WHERE partner = :partner AND route = :route AND business_key = :key AND state = 'started';

-- name: abandon
DELETE FROM idempotency
WHERE partner = :partner AND route = :route AND business_key = :key AND state = 'started';

-- name: reclaim
UPDATE idempotency SET started_at = :now
WHERE partner = :partner AND route = :route AND business_key = :key
  AND state = 'started' AND started_at < :older_than;

-- name: purge
DELETE FROM idempotency WHERE state = 'finished' AND finished_at < :before;
