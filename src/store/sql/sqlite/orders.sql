-- Dianping orders: the coupons an order consumed and its details (for extend and refund).

-- name: insert
INSERT INTO orders (partner, order_id, status, coupon_codes, details, exchange_id, created_at, updated_at)
VALUES (:partner, :order_id, :status, :coupon_codes, :details, :exchange_id, :created_at, :updated_at)
ON CONFLICT (partner, order_id) DO NOTHING;

-- name: upsert
INSERT INTO orders (partner, order_id, status, coupon_codes, details, exchange_id, created_at, updated_at)
VALUES (:partner, :order_id, :status, :coupon_codes, :details, :exchange_id, :created_at, :updated_at)
ON CONFLICT (partner, order_id) DO UPDATE SET
  status = excluded.status,
  coupon_codes = excluded.coupon_codes,
  details = excluded.details,
  exchange_id = excluded.exchange_id,
  updated_at = excluded.updated_at;

-- name: get
SELECT * FROM orders WHERE partner = :partner AND order_id = :order_id;
