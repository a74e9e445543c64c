//! Diesel table definitions, shared by the SQLite and PostgreSQL backends.
//!
//! Written by hand to match `migrations/*/`: only types both backends map the
//! same way (text, big integers, booleans), so one schema serves both.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        email_verified -> Bool,
        password_hash -> Nullable<Text>,
        roles -> Text,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        name -> Text,
        client_type -> Text,
        secret_hash -> Nullable<Text>,
        token_endpoint_auth_method -> Text,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        grant_types -> Text,
        response_types -> Text,
        allowed_scopes -> Text,
        id_token_signed_response_alg -> Text,
        first_party -> Bool,
        require_pkce -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        sealed_secret -> Nullable<Text>,
        access_token_lifetime_secs -> Nullable<BigInt>,
        id_token_lifetime_secs -> Nullable<BigInt>,
        refresh_token_lifetime_secs -> Nullable<BigInt>,
        backchannel_logout_uri -> Nullable<Text>,
        backchannel_logout_session_required -> Bool,
        frontchannel_logout_uri -> Nullable<Text>,
        frontchannel_logout_session_required -> Bool,
        access_token_signed_response_alg -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        public_jwk -> Text,
        sealed_private_key -> Text,
        sealing_key_id -> Text,
        created_at -> BigInt,
        activates_at -> BigInt,
        retires_at -> Nullable<BigInt>,
        unpublish_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        amr -> Text,
        created_at -> BigInt,
        last_used_at -> BigInt,
        expires_at -> BigInt,
        ended_at -> Nullable<BigInt>,
        client_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        idp -> Nullable<Text>,
        upstream_id_token -> Nullable<Text>,
    }
}

diesel::table! {
    session_clients (session_id_hash, client_id) {
        session_id_hash -> Text,
        client_id -> Text,
        sid -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    authorization_requests (id_hash) {
        id_hash -> Text,
        client_id -> Text,
        request -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Text,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        sid -> Text,
        auth_time -> BigInt,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        redeemed_at -> Nullable<BigInt>,
        access_token_jti -> Nullable<Text>,
        access_token_expires_at -> Nullable<BigInt>,
        refresh_family_id -> Nullable<Text>,
        idp -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Text,
        scope -> Text,
        sid -> Text,
        auth_time -> BigInt,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        idp -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scope -> Text,
        granted_at -> BigInt,
    }
}

diesel::table! {
    login_throttles (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        window_started_at -> BigInt,
        locked_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    issued_access_tokens (jti) {
        jti -> Text,
        sid -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    logout_deliveries (id) {
        id -> Text,
        client_id -> Text,
        uri -> Text,
        logout_token -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    upstream_identities (id) {
        id -> Text,
        user_id -> Text,
        upstream -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        created_at -> BigInt,
        last_used_at -> BigInt,
    }
}

diesel::joinable!(upstream_identities -> users (user_id));

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Nullable<Text>,
        address -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    clients,
    signing_keys,
    sessions,
    session_clients,
    authorization_requests,
    authorization_codes,
    refresh_tokens,
    revoked_access_tokens,
    consents,
    login_throttles,
    issued_access_tokens,
    logout_deliveries,
    upstream_identities,
    audit_events,
);
