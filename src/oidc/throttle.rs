//! Limits on failed sign-ins, per account and per client address, kept in
//! the database so the limit holds across instances.
//!
//! After a few failures each further failure doubles a lock-out, capped; a
//! success clears the account's count. The person is told how long to wait.

use crate::storage::models::login_throttle::LoginThrottle;
use crate::storage::{DbConnection, StorageError};

/// Failures are counted over this window, then forgotten.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Longest lock-out.
const MAX_LOCK_SECS: i64 = 15 * 60;
/// First lock-out once the free failures are used up.
const FIRST_LOCK_SECS: i64 = 30;

/// What is counted, and how many failures it may have for free.
#[derive(Debug, Clone)]
pub struct ThrottleKey {
    key: String,
    free_failures: i32,
}

impl ThrottleKey {
    pub fn account(username_key: &str) -> ThrottleKey {
        ThrottleKey {
            key: format!("account:{username_key}"),
            free_failures: 5,
        }
    }

    pub fn is_account(&self) -> bool {
        self.key.starts_with("account:")
    }

    /// Higher: many people may share one address.
    pub fn address(address: &str) -> ThrottleKey {
        ThrottleKey {
            key: format!("address:{address}"),
            free_failures: 20,
        }
    }
}

/// Seconds until `key` may try again, if it is locked now.
pub fn locked_for(
    conn: &mut DbConnection,
    key: &ThrottleKey,
    now: i64,
) -> Result<Option<i64>, StorageError> {
    let row = LoginThrottle::find(conn, &key.key)?;
    Ok(row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > now)
        .map(|until| until - now))
}

pub fn record_failure(
    conn: &mut DbConnection,
    key: &ThrottleKey,
    now: i64,
) -> Result<(), StorageError> {
    let mut row = match LoginThrottle::find(conn, &key.key)? {
        Some(row) if row.window_started_at + WINDOW_SECS > now => row,
        _ => LoginThrottle {
            throttle_key: key.key.clone(),
            failures: 0,
            window_started_at: now,
            locked_until: None,
        },
    };
    row.failures += 1;
    let over = row.failures - key.free_failures;
    if over >= 0 {
        let lock = FIRST_LOCK_SECS
            .saturating_mul(1 << over.min(10))
            .min(MAX_LOCK_SECS);
        row.locked_until = Some(now + lock);
    }
    LoginThrottle::save(conn, &row)
}

pub fn clear(conn: &mut DbConnection, key: &ThrottleKey) -> Result<(), StorageError> {
    LoginThrottle::clear(conn, &key.key)
}
