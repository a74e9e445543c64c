//! The `consents` table: scopes each user granted each client.

use diesel::prelude::*;

use crate::storage::schema::consents;
use crate::storage::{DbConnection, StorageError};

pub struct Consent;

impl Consent {
    /// The space-separated scopes granted, if any.
    pub fn granted(
        conn: &mut DbConnection,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<String>, StorageError> {
        Ok(consents::table
            .find((user_id, client_id))
            .select(consents::scope)
            .get_result(conn)
            .optional()?)
    }

    /// Records `scope` as granted, replacing what was granted before.
    pub fn grant(
        conn: &mut DbConnection,
        user_id: &str,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        diesel::delete(consents::table.find((user_id, client_id))).execute(conn)?;
        diesel::insert_into(consents::table)
            .values((
                consents::user_id.eq(user_id),
                consents::client_id.eq(client_id),
                consents::scope.eq(scope),
                consents::granted_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }
}
