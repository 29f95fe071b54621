-- Replay protection: a nonce is remembered per scope until it expires.

-- name: remember
-- An expired nonce is taken again by the same statement, so check-and-set is one atomic step.
INSERT INTO nonces (scope, nonce, expires_at) VALUES (:scope, :nonce, :expires_at)
ON CONFLICT (scope, nonce) DO UPDATE SET expires_at = excluded.expires_at
WHERE nonces.expires_at <= :now
RETURNING nonce;

-- name: purge
DELETE FROM nonces WHERE expires_at <= :now;
