-- The exchange journal (already redacted by the caller) and the keys `trace` finds it by.

-- name: insert
INSERT INTO exchanges (id, at, route, partner, outcome, duration_ms, data)
VALUES (:id, :at, :route, :partner, :outcome, :duration_ms, :data);

-- name: insert_key
INSERT INTO exchange_keys (business_key, exchange_id) VALUES (:key, :id) ON CONFLICT DO NOTHING;

-- name: keys_of
SELECT business_key FROM exchange_keys WHERE exchange_id = :id ORDER BY business_key;

-- name: get
SELECT * FROM exchanges WHERE id = :id;

-- name: find
SELECT e.* FROM exchanges e JOIN exchange_keys k ON k.exchange_id = e.id
WHERE k.business_key = :key ORDER BY e.at, e.seq;

-- name: list
SELECT * FROM exchanges ORDER BY at DESC, seq DESC LIMIT :limit OFFSET :offset;

-- name: prune_age
DELETE FROM exchanges WHERE at < :before;

-- name: prune_count
DELETE FROM exchanges WHERE seq NOT IN (SELECT seq FROM exchanges ORDER BY at DESC, seq DESC LIMIT :keep);
