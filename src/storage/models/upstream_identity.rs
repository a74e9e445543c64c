//! The `upstream_identities` table: accounts at upstream identity
//! providers, each keyed by (upstream, subject) and pointing to one user.

use diesel::prelude::*;

use super::found;
use crate::storage::schema::upstream_identities;
use crate::storage::{DbConnection, StorageError};

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = upstream_identities)]
pub struct UpstreamIdentity {
    pub id: String,
    pub user_id: String,
    /// The upstream's name in the configuration.
    pub upstream: String,
    /// The upstream's `sub` (or Facebook's app-scoped id).
    pub subject: String,
    /// The address the upstream gave last; never logged.
    pub email: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
}

/// Leaves out the address, which is never logged.
impl std::fmt::Debug for UpstreamIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamIdentity")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl UpstreamIdentity {
    pub fn insert(conn: &mut DbConnection, row: &UpstreamIdentity) -> Result<(), StorageError> {
        diesel::insert_into(upstream_identities::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(
        conn: &mut DbConnection,
        upstream: &str,
        subject: &str,
    ) -> Result<Option<UpstreamIdentity>, StorageError> {
        Ok(upstream_identities::table
            .filter(upstream_identities::upstream.eq(upstream))
            .filter(upstream_identities::subject.eq(subject))
            .select(UpstreamIdentity::as_select())
            .get_result(conn)
            .optional()?)
    }

    /// Records a sign-in through this identity, with the address it came with.
    pub fn touch(
        conn: &mut DbConnection,
        id: &str,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(upstream_identities::table.find(id))
            .set((
                upstream_identities::last_used_at.eq(now),
                upstream_identities::email.eq(email),
            ))
            .execute(conn)?;
        found(updated)
    }

    /// `user_id`'s identities, oldest first.
    pub fn of_user(
        conn: &mut DbConnection,
        user_id: &str,
    ) -> Result<Vec<UpstreamIdentity>, StorageError> {
        Ok(upstream_identities::table
            .filter(upstream_identities::user_id.eq(user_id))
            .order(upstream_identities::created_at.asc())
            .select(UpstreamIdentity::as_select())
            .load(conn)?)
    }

    /// Deletes one of `user_id`'s identities; `NotFound` if it is not theirs.
    pub fn delete(conn: &mut DbConnection, user_id: &str, id: &str) -> Result<(), StorageError> {
        let deleted = diesel::delete(
            upstream_identities::table
                .find(id)
                .filter(upstream_identities::user_id.eq(user_id)),
        )
        .execute(conn)?;
        found(deleted)
    }
}
