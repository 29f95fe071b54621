-- Replay protection: a nonce is remembered per scope until it expires.

-- name: remember
-- An expired nonce is taken again by the same statement, so check-and-set is one atomic step.
INSERT INTO nonces (scope, nonce, expires_at) VALUES (:scope, :nonce, :expires_at)
ON CONFLICT (scope, nonce) DO UPDATE SET expires_at = excluded.expires_at
WHERE nonces.expires_at <= :now
RETURNING nonce;

-- name: purge
DELETE FROM nonces WHERE expires_at <= :now;

-- name: remember_many
-- A batch in one statement, one round trip: :scopes, :nonces and :expires_at are arrays of the same
-- length, each (scope, nonce) at most once (the caller answers a repeat inside the batch itself).
-- Returns the entries remembered now, by position (1-based).
INSERT INTO nonces (scope, nonce, expires_at)
SELECT b.scope, b.nonce, b.expires_at
FROM unnest(:scopes::text[], :nonces::text[], :expires_at::timestamptz[]) AS b(scope, nonce, expires_at)
ON CONFLICT (scope, nonce) DO UPDATE SET expires_at = excluded.expires_at
WHERE nonces.expires_at <= :now
RETURNING scope, nonce;
