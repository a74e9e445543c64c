//! SSO sessions: one per browser sign-in, found by the hash of the random id
//! the session cookie carries.

use crate::secret::{random_token, token_hash};
use crate::storage::models::session::{Session, SessionClient};
use crate::storage::{Db, StorageError};

/// The cookie's name; `__Host-` binds it to our host and path and requires
/// `Secure`, so it is used whenever the issuer is HTTPS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-porteiro_session"
    } else {
        "porteiro_session"
    }
}

/// A session just created, with the cookie value that finds it.
pub struct NewSession {
    pub cookie_value: String,
    pub session: Session,
}

/// Where a sign-in came from.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

pub fn start(
    user_id: &str,
    amr: &[&str],
    device: Device,
    now: i64,
    absolute_lifetime_secs: i64,
) -> NewSession {
    let cookie_value = random_token(32);
    let session = Session {
        id_hash: token_hash(&cookie_value),
        user_id: user_id.to_owned(),
        auth_time: now,
        amr: serde_json::Value::from(amr.to_vec()).to_string(),
        created_at: now,
        last_used_at: now,
        expires_at: now + absolute_lifetime_secs,
        ended_at: None,
        client_address: device.address,
        user_agent: device
            .user_agent
            .map(|agent| agent.chars().take(512).collect()),
        idp: None,
        upstream_id_token: None,
    };
    NewSession {
        cookie_value,
        session,
    }
}

/// The live session the cookie names, touched as used now; `None` when
/// there is none, it ended, or it expired.
pub async fn find(
    db: &Db,
    cookie_value: &str,
    now: i64,
    idle_secs: i64,
) -> Result<Option<Session>, StorageError> {
    let id_hash = token_hash(cookie_value);
    db.run(
        move |conn| match Session::find_live(conn, &id_hash, now, idle_secs) {
            Ok(session) => {
                Session::touch(conn, &session.id_hash, now)?;
                Ok(Some(session))
            }
            Err(StorageError::NotFound) => Ok(None),
            Err(other) => Err(other),
        },
    )
    .await
}

/// The `sid` this session uses with `client_id` (OpenID Connect Front- and
/// Back-Channel Logout): one per client, so logout can name each.
pub async fn sid_for_client(
    db: &Db,
    session: &Session,
    client_id: &str,
    now: i64,
) -> Result<String, StorageError> {
    let (id_hash, client_id) = (session.id_hash.clone(), client_id.to_owned());
    let candidate = random_token(16);
    db.run(move |conn| SessionClient::sid_for(conn, &id_hash, &client_id, &candidate, now))
        .await
}
