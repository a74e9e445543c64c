-- The secret of a client that signs ID tokens with HS256, sealed: the key
-- must be known in the clear, so it cannot be kept as a hash.
ALTER TABLE clients ADD COLUMN sealed_secret TEXT;

-- Per-client token lifetimes; NULL takes the configured default.
ALTER TABLE clients ADD COLUMN access_token_lifetime_secs BIGINT;
ALTER TABLE clients ADD COLUMN id_token_lifetime_secs BIGINT;
ALTER TABLE clients ADD COLUMN refresh_token_lifetime_secs BIGINT;
