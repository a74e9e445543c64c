-- Accounts at upstream identity providers, each the key to one local user:
-- the upstream's name from the configuration and the subject it gave.
CREATE TABLE upstream_identities (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    upstream TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The address the upstream gave at the last sign-in, shown to the person.
    email TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    UNIQUE (upstream, subject)
);

CREATE INDEX upstream_identities_user ON upstream_identities (user_id);

-- The upstream a session signed in through (`idp` in ID tokens), carried
-- by the codes and refresh tokens issued in it; and the upstream's ID token,
-- sealed, to name the session when ending it upstream.
ALTER TABLE sessions ADD COLUMN idp TEXT;
ALTER TABLE sessions ADD COLUMN upstream_id_token TEXT;
ALTER TABLE authorization_codes ADD COLUMN idp TEXT;
ALTER TABLE refresh_tokens ADD COLUMN idp TEXT;
