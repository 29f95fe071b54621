-- The Tencent side of a stock (presentation and status), layered over the catalogue file.

-- name: upsert
INSERT INTO stocks (stock_id, status, presentation, updated_at)
VALUES (:stock_id, :status, :presentation, :updated_at)
ON CONFLICT (stock_id) DO UPDATE SET
  status = coalesce(excluded.status, stocks.status),
  presentation = coalesce(excluded.presentation, stocks.presentation),
  updated_at = excluded.updated_at;

-- name: get
SELECT stock_id, status, presentation, updated_at FROM stocks WHERE stock_id = :stock_id;
