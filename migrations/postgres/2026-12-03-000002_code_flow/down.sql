DROP TABLE login_throttles;
DROP TABLE consents;
DROP TABLE revoked_access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE authorization_codes;
DROP TABLE authorization_requests;
DROP TABLE session_clients;
DROP TABLE sessions;
