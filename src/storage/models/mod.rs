//! One file per table, each holding that table's queries.
//!
//! Lookups by key end in `get_result`, never `first`: `first` adds a bound
//! `LIMIT ?`, and the bundled SQLite treats a statement whose LIMIT is a
//! parameter as depending on its value, so it compiled the cached statement
//! again on every run (a tenth of the server's time in a code exchange).
//! `clippy.toml` forbids `first` for that reason.

pub mod audit_event;
pub mod authorization_code;
pub mod authorization_request;
pub mod client;
pub mod consent;
pub mod issued_access_token;
pub mod login_throttle;
pub mod logout_delivery;
pub mod refresh_token;
pub mod revoked_access_token;
pub mod session;
pub mod signing_key;
pub mod upstream_identity;
pub mod user;

use super::StorageError;

/// `Ok` when an update touched a row, `NotFound` otherwise.
pub(crate) fn found(updated_rows: usize) -> Result<(), StorageError> {
    match updated_rows {
        0 => Err(StorageError::NotFound),
        _ => Ok(()),
    }
}
