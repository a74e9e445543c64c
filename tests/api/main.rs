//! Integration tests: the real server on a random port, its own database
//! (SQLite, or PostgreSQL when `PORTEIRO_TEST_DATABASE_URL` is set), HTTP.

mod cli;
mod discovery;
mod health;
mod helpers;
mod keys;
mod startup_errors;
mod storage;
