ALTER TABLE clients DROP COLUMN refresh_token_lifetime_secs;
ALTER TABLE clients DROP COLUMN id_token_lifetime_secs;
ALTER TABLE clients DROP COLUMN access_token_lifetime_secs;
ALTER TABLE clients DROP COLUMN sealed_secret;
