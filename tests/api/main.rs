//! Integration tests: the real server on a random port, its own database
//! (SQLite, or PostgreSQL when `PORTEIRO_TEST_DATABASE_URL` is set), HTTP.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod account;
mod admin_access;
mod admin_audit;
mod admin_browser;
mod admin_clients;
mod admin_identities;
mod admin_input;
mod admin_openapi;
mod admin_operations;
mod admin_support;
mod authorize_errors;
mod browser;
mod browser_flow;
mod chromium;
mod cli;
mod client_credentials;
mod code_flow;
mod discovery;
mod example_sso;
mod fake_upstream;
mod federation;
mod federation_audit;
mod federation_browser;
mod federation_errors;
mod federation_facebook;
mod federation_linking;
mod federation_oidc;
mod form_post;
mod fuzz;
mod fuzz_forms;
mod health;
mod helpers;
mod keys;
mod login_page;
mod logout;
mod oauth_client;
mod prompts;
mod relying_party;
mod revocation;
mod startup_errors;
mod storage;
mod token_errors;
mod userinfo_errors;
