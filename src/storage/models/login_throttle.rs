//! The `login_throttles` table: failed sign-ins counted per key (an account
//! or a client address), in the database so every instance sees them.

use diesel::prelude::*;

use crate::storage::schema::login_throttles;
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttles)]
#[diesel(treat_none_as_null = true)]
pub struct LoginThrottle {
    pub throttle_key: String,
    pub failures: i32,
    pub window_started_at: i64,
    pub locked_until: Option<i64>,
}

impl LoginThrottle {
    pub fn find(conn: &mut DbConnection, key: &str) -> Result<Option<LoginThrottle>, StorageError> {
        Ok(login_throttles::table
            .find(key)
            .select(LoginThrottle::as_select())
            .get_result(conn)
            .optional()?)
    }

    pub fn save(conn: &mut DbConnection, row: &LoginThrottle) -> Result<(), StorageError> {
        if Self::update(conn, row)? > 0 {
            return Ok(());
        }
        match diesel::insert_into(login_throttles::table)
            .values(row)
            .execute(conn)
        {
            // Another instance inserted the first failure meanwhile.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Self::update(conn, row).map(|_| ()),
            other => other.map(|_| ()).map_err(StorageError::from),
        }
    }

    fn update(conn: &mut DbConnection, row: &LoginThrottle) -> Result<usize, StorageError> {
        Ok(
            diesel::update(login_throttles::table.find(&row.throttle_key))
                .set(row)
                .execute(conn)?,
        )
    }

    pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), StorageError> {
        diesel::delete(login_throttles::table.find(key)).execute(conn)?;
        Ok(())
    }

    /// Deletes counts whose window started before `before` and that lock nothing now.
    pub fn purge_stale(
        conn: &mut DbConnection,
        before: i64,
        now: i64,
    ) -> Result<usize, StorageError> {
        Ok(diesel::delete(
            login_throttles::table
                .filter(login_throttles::window_started_at.le(before))
                .filter(
                    login_throttles::locked_until
                        .is_null()
                        .or(login_throttles::locked_until.le(now)),
                ),
        )
        .execute(conn)?)
    }
}
