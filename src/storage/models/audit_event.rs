//! The `audit_events` table: an append-only record of admin changes and
//! security events. Rows are written through `crate::audit`, never here
//! directly.

use diesel::prelude::*;

use crate::storage::schema::audit_events;
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    /// Sorts as the events happened, within one second too (see
    /// `crate::audit`).
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    /// `user:<username>`, `client:<client id>`, `cli` or `system`.
    pub actor: String,
    /// One of `crate::audit::Action`'s names, such as `client.created`.
    pub action: String,
    /// What the action touched: a client id, a username, a key id.
    pub target: Option<String>,
    /// The client address the change came from, when it came over HTTP.
    pub address: Option<String>,
    /// A JSON object.
    pub detail: String,
}

/// Which events to read; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Matches actors containing this text.
    pub actor: Option<String>,
    /// An exact action name.
    pub action: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl AuditEvent {
    pub fn insert(conn: &mut DbConnection, event: &AuditEvent) -> Result<(), StorageError> {
        diesel::insert_into(audit_events::table)
            .values(event)
            .execute(conn)?;
        Ok(())
    }

    /// The newest `limit` events that pass `filter`, newest first.
    pub fn search(
        conn: &mut DbConnection,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        let mut query = audit_events::table.into_boxed();
        if let Some(actor) = &filter.actor {
            let pattern = format!("%{}%", escape_like(actor));
            query = query.filter(audit_events::actor.like(pattern).escape('\\'));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_events::action.eq(action.clone()));
        }
        if let Some(since) = filter.since {
            query = query.filter(audit_events::at.ge(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_events::at.le(until));
        }
        Ok(query
            .order((audit_events::at.desc(), audit_events::id.desc()))
            .limit(limit)
            .select(AuditEvent::as_select())
            .load(conn)?)
    }
}

/// `%` and `_` in a search text match themselves, not any character; the
/// query names `\` as the escape character, which SQLite has no default for.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
