//! Integration tests: the real server on a random port, its own database
//! (SQLite, or PostgreSQL when `PORTEIRO_TEST_DATABASE_URL` is set), HTTP.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

mod browser;
mod browser_flow;
mod cli;
mod code_flow;
mod discovery;
mod health;
mod helpers;
mod keys;
mod relying_party;
mod revocation;
mod startup_errors;
mod storage;
