ALTER TABLE refresh_tokens DROP COLUMN idp;
ALTER TABLE authorization_codes DROP COLUMN idp;
ALTER TABLE sessions DROP COLUMN upstream_id_token;
ALTER TABLE sessions DROP COLUMN idp;
DROP TABLE upstream_identities;
