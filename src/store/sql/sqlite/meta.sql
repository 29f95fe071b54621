-- Migration bookkeeping and health.

-- name: create_migrations
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
);

-- name: applied
SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version;

-- name: record_migration
INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (:version, :name, :checksum, :now);

-- name: version
SELECT coalesce(max(version), 0) AS version FROM schema_migrations;

-- name: has_migrations
SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations';
