//! The `authorization_codes` table.

use diesel::prelude::*;

use crate::storage::schema::authorization_codes;
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct AuthorizationCodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub sid: String,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<i64>,
    pub refresh_family_id: Option<String>,
    pub idp: Option<String>,
}

/// What redeeming a code issued, kept to revoke it if the code comes back.
#[derive(Debug, Clone)]
pub struct Redemption {
    pub access_token_jti: String,
    pub access_token_expires_at: i64,
    pub refresh_family_id: Option<String>,
}

impl AuthorizationCodeRow {
    pub fn insert(conn: &mut DbConnection, row: &AuthorizationCodeRow) -> Result<(), StorageError> {
        diesel::insert_into(authorization_codes::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(
        conn: &mut DbConnection,
        code_hash: &str,
    ) -> Result<AuthorizationCodeRow, StorageError> {
        Ok(authorization_codes::table
            .find(code_hash)
            .select(AuthorizationCodeRow::as_select())
            .get_result(conn)?)
    }

    /// Marks the code redeemed, only if nobody did first: of two concurrent
    /// redemptions exactly one gets `Ok`.
    pub fn claim(conn: &mut DbConnection, code_hash: &str, now: i64) -> Result<(), StorageError> {
        let updated = diesel::update(
            authorization_codes::table
                .find(code_hash)
                .filter(authorization_codes::redeemed_at.is_null()),
        )
        .set(authorization_codes::redeemed_at.eq(now))
        .execute(conn)?;
        super::found(updated)
    }

    pub fn record_redemption(
        conn: &mut DbConnection,
        code_hash: &str,
        issued: &Redemption,
    ) -> Result<(), StorageError> {
        diesel::update(authorization_codes::table.find(code_hash))
            .set((
                authorization_codes::access_token_jti.eq(&issued.access_token_jti),
                authorization_codes::access_token_expires_at.eq(issued.access_token_expires_at),
                authorization_codes::refresh_family_id.eq(&issued.refresh_family_id),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Deletes codes that expired before `before`. Codes are kept a while
    /// after expiry so a late second use still revokes what the first issued.
    pub fn purge_expired(conn: &mut DbConnection, before: i64) -> Result<usize, StorageError> {
        Ok(diesel::delete(
            authorization_codes::table.filter(authorization_codes::expires_at.le(before)),
        )
        .execute(conn)?)
    }
}
