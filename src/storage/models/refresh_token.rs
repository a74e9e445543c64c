//! The `refresh_tokens` table. Tokens rotate: each use marks the token
//! rotated and issues a successor in the same family, so a rotated token
//! coming back means it was copied, and the whole family is revoked.

use diesel::prelude::*;

use crate::storage::schema::refresh_tokens;
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub sid: String,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub idp: Option<String>,
}

impl RefreshTokenRow {
    pub fn insert(conn: &mut DbConnection, row: &RefreshTokenRow) -> Result<(), StorageError> {
        diesel::insert_into(refresh_tokens::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(
        conn: &mut DbConnection,
        token_hash: &str,
    ) -> Result<RefreshTokenRow, StorageError> {
        Ok(refresh_tokens::table
            .find(token_hash)
            .select(RefreshTokenRow::as_select())
            .get_result(conn)?)
    }

    /// Marks the token rotated, only if it was not already: of two
    /// concurrent refreshes exactly one gets `Ok`.
    pub fn claim(conn: &mut DbConnection, token_hash: &str, now: i64) -> Result<(), StorageError> {
        let updated = diesel::update(
            refresh_tokens::table
                .find(token_hash)
                .filter(refresh_tokens::rotated_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::rotated_at.eq(now))
        .execute(conn)?;
        super::found(updated)
    }

    pub fn revoke_family(
        conn: &mut DbConnection,
        family_id: &str,
        now: i64,
    ) -> Result<usize, StorageError> {
        Ok(diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)?)
    }

    /// Deletes tokens past their expiry; their families are then unknown.
    pub fn purge_expired(conn: &mut DbConnection, now: i64) -> Result<usize, StorageError> {
        Ok(
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
                .execute(conn)?,
        )
    }

    /// Revokes every live refresh token issued in the session with `sid`.
    pub fn revoke_for_sid(
        conn: &mut DbConnection,
        sid: &str,
        now: i64,
    ) -> Result<usize, StorageError> {
        Ok(diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::sid.eq(sid))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)?)
    }
}
