//! The `revoked_access_tokens` table: the deny-list of access token `jti`s,
//! each kept until the token would have expired anyway.

use diesel::prelude::*;

use crate::storage::schema::revoked_access_tokens;
use crate::storage::{DbConnection, StorageError};

pub struct RevokedAccessToken;

impl RevokedAccessToken {
    /// Deny-lists `jti` (idempotent).
    pub fn insert(
        conn: &mut DbConnection,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StorageError> {
        let inserted = diesel::insert_into(revoked_access_tokens::table)
            .values((
                revoked_access_tokens::jti.eq(jti),
                revoked_access_tokens::expires_at.eq(expires_at),
                revoked_access_tokens::revoked_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            Ok(_)
            | Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool, StorageError> {
        let count: i64 = revoked_access_tokens::table
            .filter(revoked_access_tokens::jti.eq(jti))
            .count()
            .get_result(conn)?;
        Ok(count > 0)
    }

    /// `(jti, expires_at)` of entries revoked at or after `since` that have
    /// not expired by `now`.
    pub fn revoked_since(
        conn: &mut DbConnection,
        since: i64,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StorageError> {
        Ok(revoked_access_tokens::table
            .filter(revoked_access_tokens::revoked_at.ge(since))
            .filter(revoked_access_tokens::expires_at.gt(now))
            .select((
                revoked_access_tokens::jti,
                revoked_access_tokens::expires_at,
            ))
            .load(conn)?)
    }

    /// Deletes entries whose tokens have expired anyway.
    pub fn purge_expired(conn: &mut DbConnection, now: i64) -> Result<usize, StorageError> {
        Ok(diesel::delete(
            revoked_access_tokens::table.filter(revoked_access_tokens::expires_at.le(now)),
        )
        .execute(conn)?)
    }
}
