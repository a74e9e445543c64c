-- The algorithm that signs a client's access tokens; NULL takes
-- tokens.access_token_signing_alg from the settings.
ALTER TABLE clients ADD COLUMN access_token_signed_response_alg TEXT;
