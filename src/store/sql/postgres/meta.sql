-- Migration bookkeeping and health.

-- name: create_migrations
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL
);

-- name: applied
SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version;

-- name: record_migration
INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (:version, :name, :checksum, :now);

-- name: lock
-- Instances starting together apply migrations one at a time (per schema).
SELECT pg_advisory_xact_lock(1128398849, hashtext('migrate:' || :schema));

-- name: version
SELECT coalesce(max(version), 0) AS version FROM schema_migrations;

-- name: has_migrations
-- to_regclass is NULL when the table (or the search_path's schema) does not exist yet.
SELECT count(*)::int AS n FROM (SELECT to_regclass('schema_migrations') AS t) x WHERE t IS NOT NULL;
