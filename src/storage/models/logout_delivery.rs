//! The `logout_deliveries` table: back-channel logout tokens waiting to be
//! POSTed to clients, with their retry state.

use diesel::prelude::*;

use super::found;
use crate::storage::schema::logout_deliveries;
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = logout_deliveries)]
pub struct LogoutDelivery {
    pub id: String,
    pub client_id: String,
    pub uri: String,
    pub logout_token: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

impl LogoutDelivery {
    pub fn insert(conn: &mut DbConnection, row: &LogoutDelivery) -> Result<(), StorageError> {
        diesel::insert_into(logout_deliveries::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    /// Undelivered rows due at `now`, oldest first.
    pub fn due(
        conn: &mut DbConnection,
        now: i64,
        limit: i64,
    ) -> Result<Vec<LogoutDelivery>, StorageError> {
        Ok(logout_deliveries::table
            .filter(logout_deliveries::delivered_at.is_null())
            .filter(logout_deliveries::next_attempt_at.le(now))
            .order(logout_deliveries::next_attempt_at.asc())
            .limit(limit)
            .select(LogoutDelivery::as_select())
            .load(conn)?)
    }

    /// Takes the row for one attempt by pushing its next attempt to
    /// `lease_until`; only one instance wins a due row.
    pub fn lease(
        conn: &mut DbConnection,
        id: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(
            logout_deliveries::table
                .find(id)
                .filter(logout_deliveries::delivered_at.is_null())
                .filter(logout_deliveries::next_attempt_at.le(now)),
        )
        .set(logout_deliveries::next_attempt_at.eq(lease_until))
        .execute(conn)?;
        found(updated)
    }

    pub fn delivered(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), StorageError> {
        diesel::update(logout_deliveries::table.find(id))
            .set((
                logout_deliveries::delivered_at.eq(now),
                logout_deliveries::attempts.eq(logout_deliveries::attempts + 1),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn failed(
        conn: &mut DbConnection,
        id: &str,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StorageError> {
        diesel::update(logout_deliveries::table.find(id))
            .set((
                logout_deliveries::attempts.eq(logout_deliveries::attempts + 1),
                logout_deliveries::next_attempt_at.eq(next_attempt_at),
                logout_deliveries::last_error.eq(error),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> Result<LogoutDelivery, StorageError> {
        Ok(logout_deliveries::table
            .find(id)
            .select(LogoutDelivery::as_select())
            .get_result(conn)?)
    }
}
