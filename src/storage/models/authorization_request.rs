//! The `authorization_requests` table: validated requests waiting for the
//! person to sign in or consent, so any instance can resume them.

use diesel::prelude::*;

use crate::storage::schema::authorization_requests;
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_requests)]
pub struct PendingRequestRow {
    pub id_hash: String,
    pub client_id: String,
    pub request: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl PendingRequestRow {
    pub fn insert(conn: &mut DbConnection, row: &PendingRequestRow) -> Result<(), StorageError> {
        diesel::insert_into(authorization_requests::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    pub fn find_live(
        conn: &mut DbConnection,
        id_hash: &str,
        now: i64,
    ) -> Result<PendingRequestRow, StorageError> {
        Ok(authorization_requests::table
            .find(id_hash)
            .filter(authorization_requests::expires_at.gt(now))
            .select(PendingRequestRow::as_select())
            .get_result(conn)?)
    }

    /// Replaces the stored request, once part of it has been answered.
    pub fn replace_request(
        conn: &mut DbConnection,
        id_hash: &str,
        request: &str,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(authorization_requests::table.find(id_hash))
            .set(authorization_requests::request.eq(request))
            .execute(conn)?;
        super::found(updated)
    }

    /// Removes the request once answered; `NotFound` when another request
    /// already answered it, so a form posted twice finishes once.
    pub fn take(conn: &mut DbConnection, id_hash: &str) -> Result<(), StorageError> {
        let deleted = diesel::delete(authorization_requests::table.find(id_hash)).execute(conn)?;
        super::found(deleted)
    }

    pub fn purge_expired(conn: &mut DbConnection, now: i64) -> Result<usize, StorageError> {
        Ok(diesel::delete(
            authorization_requests::table.filter(authorization_requests::expires_at.le(now)),
        )
        .execute(conn)?)
    }
}
