//! Live SSO sessions as admins see them, and ending them for someone else.
//! Ending runs the normal logout (`oidc::logout`): refresh tokens revoked,
//! access tokens deny-listed, back-channel logout tokens queued, and the
//! front-channel frames returned for the page that shows the result.

use serde::Serialize;

use super::{AdminContext, AdminError};
use crate::oidc::logout::{FrontChannelFrame, Logout};
use crate::startup::AppState;
use crate::storage::models::client::Client;
use crate::storage::models::session::{Session, SessionClient};
use crate::storage::models::user::User;
use crate::storage::{DbConnection, StorageError};

/// The most sessions one listing shows.
const MAX_LISTED: i64 = 500;

/// A live session. `id` is the hash of the cookie's value, never the value
/// itself, so showing it grants nothing.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub username: String,
    /// Names of the clients the session signed in to.
    pub clients: Vec<String>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
}

/// Live sessions, most recently used first; only `user_id`'s when given.
pub async fn list(state: &AppState, user_id: Option<&str>) -> Result<Vec<SessionView>, AdminError> {
    let (now, idle) = (
        state.clock.now(),
        state.settings.sessions.idle_lifetime_secs,
    );
    let user_id = user_id.map(str::to_owned);
    let views = state
        .db
        .run(move |conn| {
            let sessions = match &user_id {
                Some(id) => Session::live_of_user(conn, id, now, idle)?,
                None => Session::live(conn, now, idle, MAX_LISTED)?,
            };
            sessions.iter().map(|s| view(conn, s)).collect()
        })
        .await?;
    Ok(views)
}

/// Ends the live session `id`.
pub async fn end_one(
    ctx: &AdminContext<'_>,
    id: &str,
) -> Result<Vec<FrontChannelFrame>, AdminError> {
    let state = ctx.state;
    let (now, idle) = (
        state.clock.now(),
        state.settings.sessions.idle_lifetime_secs,
    );
    let wanted = id.to_owned();
    let session = match state
        .db
        .run(move |conn| Session::find_live(conn, &wanted, now, idle))
        .await
    {
        Ok(session) => session,
        Err(StorageError::NotFound) => {
            return Err(AdminError::NotFound(format!(
                "no live session has id `{id}`"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    Ok(logout(ctx).end(&session).await?)
}

/// Ends every live session of `user_id`; returns how many ended and the
/// front-channel frames of all of them.
pub async fn end_all_of_user(
    ctx: &AdminContext<'_>,
    user_id: &str,
) -> Result<(usize, Vec<FrontChannelFrame>), AdminError> {
    let state = ctx.state;
    let (now, idle) = (
        state.clock.now(),
        state.settings.sessions.idle_lifetime_secs,
    );
    let wanted = user_id.to_owned();
    let sessions = state
        .db
        .run(move |conn| {
            User::find(conn, &wanted)?;
            Session::live_of_user(conn, &wanted, now, idle)
        })
        .await?;

    let logout = logout(ctx);
    let mut frames = Vec::new();
    for session in &sessions {
        frames.extend(logout.end(session).await?);
    }
    Ok((sessions.len(), frames))
}

fn logout<'a>(ctx: &'a AdminContext<'a>) -> Logout<'a> {
    let state = ctx.state;
    Logout {
        db: &state.db,
        keys: &state.keys,
        deny_list: &state.deny_list,
        issuer: &state.settings.issuer,
        now: state.clock.now(),
        actor: Some(&ctx.actor),
    }
}

fn view(conn: &mut DbConnection, session: &Session) -> Result<SessionView, StorageError> {
    let username =
        User::find(conn, &session.user_id).map_or_else(|_| String::new(), |u| u.username);
    let mut clients = Vec::new();
    for link in SessionClient::of_session(conn, &session.id_hash)? {
        if let Ok(client) = Client::find(conn, &link.client_id) {
            clients.push(client.name);
        }
    }
    Ok(SessionView {
        id: session.id_hash.clone(),
        user_id: session.user_id.clone(),
        username,
        clients,
        address: session.client_address.clone(),
        user_agent: session.user_agent.clone(),
        created_at: session.created_at,
        last_used_at: session.last_used_at,
        expires_at: session.expires_at,
    })
}
