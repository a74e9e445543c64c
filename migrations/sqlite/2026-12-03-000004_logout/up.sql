-- Where and how each client hears of logouts (OpenID Connect Back-Channel
-- and Front-Channel Logout 1.0).
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN frontchannel_logout_session_required BOOLEAN NOT NULL DEFAULT 0;

-- Access tokens issued for a person, by the session's sid, so logout can
-- deny-list the live ones.
CREATE TABLE issued_access_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    sid TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX issued_access_tokens_sid ON issued_access_tokens (sid);

-- Back-channel logout tokens to deliver, written before the first attempt
-- so a delivery survives a restart; an instance leases a row while sending.
CREATE TABLE logout_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    logout_token TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX logout_deliveries_due ON logout_deliveries (delivered_at, next_attempt_at);
