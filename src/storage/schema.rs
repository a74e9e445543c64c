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

diesel::allow_tables_to_appear_in_same_query!(users, clients, signing_keys);
