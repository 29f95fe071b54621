-- Settlement and reconciliation (issue 17): read-only queries over a period [:from, :to), each
-- starting from an index of migration 0004. Times are timestamptz.

-- name: groups
-- The partner is the transition's actor; P云's own push ('pyun') and couponbridge itself
-- ('couponbridge', no partner) act on a partner's coupon, so those count for the coupon's partner.
-- Redeemed and refunded values are the applied value sent to P云 when the ledger recorded one
-- (Dianping: attrs.dianping.applyValueFen), else the face value.
SELECT partner, stock_id, kind, count(*) AS n, coalesce(sum(value), 0) AS value_fen,
  count(*) FILTER (WHERE value IS NULL) AS unvalued
FROM (
  SELECT CASE WHEN t.actor IN ('pyun', 'couponbridge') THEN c.partner ELSE t.actor END AS partner,
    c.stock_id,
    CASE t.to_state WHEN 'available' THEN 'claimed' WHEN 'used' THEN 'redeemed' WHEN 'expired' THEN 'expired'
      WHEN 'invalid' THEN 'invalidated' ELSE 'refunded' END AS kind,
    CASE WHEN t.to_state IN ('used', 'refunded')
      THEN coalesce((c.attrs #>> '{dianping,applyValueFen}')::bigint, c.face_value)
      ELSE c.face_value END AS value
  FROM coupon_transitions t JOIN coupons c ON c.id = t.coupon_ref
  WHERE t.at >= :from AND t.at < :to
    AND ((t.to_state = 'available' AND t.from_state = 'pending')
      OR t.to_state IN ('used', 'expired', 'invalid', 'refunded'))
) AS g
WHERE :partner::text IS NULL OR partner = :partner
GROUP BY partner, stock_id, kind
ORDER BY partner, stock_id, kind;

-- name: undelivered_claims
-- A claim's ledger id is `claim:<partner>:<request_id>` (flows/claim.ts), so the request_id, the
-- idempotency key, is the id's tail (P云's event_id is derived from it and cannot be joined).
SELECT c.id, c.partner, substr(c.id, length(c.partner) + 8) AS request_id, c.coupon_id, c.grant_serial,
  c.state, t.at, t.exchange_id, i.state AS idem_state
FROM coupon_transitions t
JOIN coupons c ON c.id = t.coupon_ref
LEFT JOIN idempotency i ON i.partner = c.partner AND i.route = :route
  AND i.business_key = substr(c.id, length(c.partner) + 8)
WHERE t.at >= :from AND t.at < :to AND t.at < :stale_before
  AND t.to_state = 'pending' AND t.from_state IS NULL AND c.event_id IS NOT NULL
  AND c.id LIKE 'claim:%'
  AND (i.state = 'started' OR (i.state IS NULL AND t.at >= :kept_since))
ORDER BY t.at, c.id;

-- name: half_consumed
SELECT t.actor AS partner, (c.attrs #>> '{dianping,orderId}') AS order_id, c.id AS coupon_ref,
  c.coupon_code, t.at, t.exchange_id
FROM coupon_transitions t JOIN coupons c ON c.id = t.coupon_ref
WHERE t.at >= :from AND t.at < :to AND t.at < :stale_before AND t.to_state = 'used'
  AND (c.attrs #>> '{dianping,orderId}') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM orders o
    WHERE o.partner = t.actor AND o.order_id = (c.attrs #>> '{dianping,orderId}'))
UNION ALL
SELECT partner, order_id, NULL, NULL, created_at, exchange_id FROM orders
WHERE details IS NULL AND created_at >= :from AND created_at < :to AND created_at < :stale_before
ORDER BY 5, 2, 3;

-- name: overdue
SELECT * FROM outbox
WHERE created_at >= :from AND created_at < :to
  AND (state = 'dead'
    OR (state = 'pending' AND next_attempt_at < :before)
    OR (state = 'leased' AND lease_until < :before))
ORDER BY created_at, id;

-- name: anomalies
SELECT * FROM exchange_anomalies
WHERE at >= :from AND at < :to AND (:partner::text IS NULL OR partner = :partner)
ORDER BY at, seq;
