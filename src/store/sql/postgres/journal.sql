-- The exchange journal (already redacted by the caller) and the keys `trace` finds it by.

-- name: insert_many
-- A journal batch in one statement, one round trip: exchanges, their keys and anomalies, each
-- given as parallel arrays (one element per row, in order).
WITH x AS (
  INSERT INTO exchanges (id, at, route, partner, outcome, duration_ms, data)
  SELECT * FROM unnest(:ids::text[], :ats::timestamptz[], :routes::text[], :partners::text[],
    :outcomes::text[], :durations_ms::integer[], :datas::json[])
  RETURNING 1
), k AS (
  INSERT INTO exchange_keys (business_key, exchange_id)
  SELECT * FROM unnest(:keys::text[], :key_ids::text[])
  ON CONFLICT DO NOTHING
  RETURNING 1
), a AS (
  INSERT INTO exchange_anomalies (exchange_id, at, route, partner, kind, ref, code, detail)
  SELECT * FROM unnest(:a_ids::text[], :a_ats::timestamptz[], :a_routes::text[], :a_partners::text[],
    :a_kinds::text[], :a_refs::text[], :a_codes::text[], :a_details::text[])
  RETURNING 1
)
SELECT (SELECT count(*) FROM x)::int AS exchanges, (SELECT count(*) FROM k)::int AS keys,
  (SELECT count(*) FROM a)::int AS anomalies;

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
