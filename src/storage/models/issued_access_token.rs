//! The `issued_access_tokens` table: access tokens issued for a person, by
//! the `sid` of the session they came from, so logout can deny-list them.

use diesel::prelude::*;

use crate::storage::schema::issued_access_tokens;
use crate::storage::{DbConnection, StorageError};

pub struct IssuedAccessToken;

impl IssuedAccessToken {
    pub fn insert(
        conn: &mut DbConnection,
        jti: &str,
        sid: &str,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        diesel::insert_into(issued_access_tokens::table)
            .values((
                issued_access_tokens::jti.eq(jti),
                issued_access_tokens::sid.eq(sid),
                issued_access_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// `(jti, expires_at)` of the tokens of `sid` still live at `now`.
    pub fn live_for_sid(
        conn: &mut DbConnection,
        sid: &str,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StorageError> {
        Ok(issued_access_tokens::table
            .filter(issued_access_tokens::sid.eq(sid))
            .filter(issued_access_tokens::expires_at.gt(now))
            .select((issued_access_tokens::jti, issued_access_tokens::expires_at))
            .load(conn)?)
    }

    pub fn purge_expired(conn: &mut DbConnection, now: i64) -> Result<usize, StorageError> {
        Ok(diesel::delete(
            issued_access_tokens::table.filter(issued_access_tokens::expires_at.le(now)),
        )
        .execute(conn)?)
    }
}
