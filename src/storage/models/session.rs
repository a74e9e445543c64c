//! The `sessions` and `session_clients` tables: SSO sessions and the clients
//! each one signed in to.

use diesel::prelude::*;

use super::found;
use crate::storage::schema::{session_clients, sessions};
use crate::storage::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    /// SHA-256 of the cookie's random id; the id itself is never stored.
    pub id_hash: String,
    pub user_id: String,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    /// The address and browser the session started from, for the person's
    /// own account page; never logged.
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// The upstream the person signed in through (`idp`), if any.
    pub idp: Option<String>,
    /// The upstream's ID token, sealed, kept only when the session may be
    /// ended upstream too.
    pub upstream_id_token: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = session_clients)]
pub struct SessionClient {
    pub session_id_hash: String,
    pub client_id: String,
    pub sid: String,
    pub created_at: i64,
}

impl Session {
    pub fn insert(conn: &mut DbConnection, session: &Session) -> Result<(), StorageError> {
        diesel::insert_into(sessions::table)
            .values(session)
            .execute(conn)?;
        Ok(())
    }

    /// The live session with this id hash: not ended, not past its absolute
    /// lifetime, and used within `idle_secs`.
    pub fn find_live(
        conn: &mut DbConnection,
        id_hash: &str,
        now: i64,
        idle_secs: i64,
    ) -> Result<Session, StorageError> {
        Ok(sessions::table
            .find(id_hash)
            .filter(sessions::ended_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::last_used_at.gt(now - idle_secs))
            .select(Session::as_select())
            .get_result(conn)?)
    }

    pub fn touch(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<(), StorageError> {
        let updated = diesel::update(sessions::table.find(id_hash))
            .set(sessions::last_used_at.eq(now))
            .execute(conn)?;
        found(updated)
    }

    pub fn end(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<(), StorageError> {
        diesel::update(
            sessions::table
                .find(id_hash)
                .filter(sessions::ended_at.is_null()),
        )
        .set(sessions::ended_at.eq(now))
        .execute(conn)?;
        Ok(())
    }

    /// Deletes sessions that ended or expired; their client rows go with them.
    pub fn purge(conn: &mut DbConnection, now: i64, idle_secs: i64) -> Result<usize, StorageError> {
        Ok(diesel::delete(
            sessions::table.filter(
                sessions::ended_at
                    .is_not_null()
                    .or(sessions::expires_at.le(now))
                    .or(sessions::last_used_at.le(now - idle_secs)),
            ),
        )
        .execute(conn)?)
    }

    /// Every live session, most recently used first, at most `limit`.
    pub fn live(
        conn: &mut DbConnection,
        now: i64,
        idle_secs: i64,
        limit: i64,
    ) -> Result<Vec<Session>, StorageError> {
        Ok(sessions::table
            .filter(sessions::ended_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::last_used_at.gt(now - idle_secs))
            .order(sessions::last_used_at.desc())
            .limit(limit)
            .select(Session::as_select())
            .load(conn)?)
    }

    /// `user_id`'s live sessions, most recently used first.
    pub fn live_of_user(
        conn: &mut DbConnection,
        user_id: &str,
        now: i64,
        idle_secs: i64,
    ) -> Result<Vec<Session>, StorageError> {
        Ok(sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::last_used_at.gt(now - idle_secs))
            .order(sessions::last_used_at.desc())
            .select(Session::as_select())
            .load(conn)?)
    }
}

impl SessionClient {
    /// The `sid` of `client_id` in this session, created on first use.
    pub fn sid_for(
        conn: &mut DbConnection,
        session_id_hash: &str,
        client_id: &str,
        new_sid: &str,
        now: i64,
    ) -> Result<String, StorageError> {
        let existing = session_clients::table
            .find((session_id_hash, client_id))
            .select(session_clients::sid)
            .get_result::<String>(conn)
            .optional()?;
        if let Some(sid) = existing {
            return Ok(sid);
        }

        let row = SessionClient {
            session_id_hash: session_id_hash.to_owned(),
            client_id: client_id.to_owned(),
            sid: new_sid.to_owned(),
            created_at: now,
        };
        diesel::insert_into(session_clients::table)
            .values(&row)
            .execute(conn)?;
        Ok(row.sid)
    }

    /// Every client this session signed in to.
    pub fn of_session(
        conn: &mut DbConnection,
        session_id_hash: &str,
    ) -> Result<Vec<SessionClient>, StorageError> {
        Ok(session_clients::table
            .filter(session_clients::session_id_hash.eq(session_id_hash))
            .select(SessionClient::as_select())
            .load(conn)?)
    }
}
