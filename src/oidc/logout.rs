//! Ending an SSO session everywhere (OpenID Connect RP-Initiated,
//! Back-Channel and Front-Channel Logout 1.0): the session ends, its refresh
//! tokens are revoked, its live access tokens deny-listed, a logout token is
//! queued for every client with a back-channel URI, and the front-channel
//! URIs are returned for the signed-out page to load.

use serde::Deserialize;
use serde_json::json;

use super::deny_list::DenyList;
use super::tokens::IdTokenAlg;
use crate::audit::{self, Action, Actor};
use crate::keys::{KeySet, KeyStore, SigningAlg};
use crate::storage::models::client::Client;
use crate::storage::models::issued_access_token::IssuedAccessToken;
use crate::storage::models::logout_delivery::LogoutDelivery;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::models::session::{Session, SessionClient};
use crate::storage::models::user::User;
use crate::storage::{Db, DbConnection, StorageError};

/// The event a logout token carries (Back-Channel Logout 1.0 section 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Media type of logout tokens (section 2.4).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// How long a logout token is valid; receivers reject older ones.
const LOGOUT_TOKEN_LIFETIME_SECS: i64 = 120;

/// What an `id_token_hint` tells, once its signature checks.
#[derive(Debug, Clone, Deserialize)]
pub struct IdTokenHint {
    pub sub: String,
    pub aud: serde_json::Value,
    pub sid: Option<String>,
}

impl IdTokenHint {
    /// Reads an ID token we signed, expired or not (RP-Initiated Logout 1.0
    /// section 2 accepts expired hints); `None` when it is not ours.
    pub fn read(keys: &KeySet, issuer: &str, token: &str) -> Option<IdTokenHint> {
        let (payload, _) = keys.verify(token).ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
        if claims.get("iss").and_then(|i| i.as_str()) != Some(issuer) {
            return None;
        }
        serde_json::from_value(claims).ok()
    }

    /// The client the hint was issued to.
    pub fn client_id(&self) -> Option<&str> {
        match &self.aud {
            serde_json::Value::String(aud) => Some(aud),
            serde_json::Value::Array(auds) => auds.first().and_then(|a| a.as_str()),
            _ => None,
        }
    }
}

/// An iframe the signed-out page loads for a front-channel client.
#[derive(Debug, Clone)]
pub struct FrontChannelFrame {
    pub url: String,
    pub origin: String,
}

pub struct Logout<'a> {
    pub db: &'a Db,
    pub keys: &'a KeyStore,
    pub deny_list: &'a DenyList,
    pub issuer: &'a str,
    pub now: i64,
    /// Who ends the session, for the audit log; `None`: its own user.
    pub actor: Option<&'a Actor>,
}

impl Logout<'_> {
    /// Ends `session` and everything issued in it; returns the front-channel
    /// frames to load.
    pub async fn end(&self, session: &Session) -> Result<Vec<FrontChannelFrame>, StorageError> {
        let (id_hash, user_id, now) = (session.id_hash.clone(), session.user_id.clone(), self.now);
        let signed_in = self
            .db
            .run(move |conn| end_and_revoke(conn, &id_hash, &user_id, now))
            .await?;

        for (jti, expires_at) in &signed_in.access_tokens {
            self.deny_list.note_revoked(jti, *expires_at);
        }
        let mut frames = Vec::new();
        for (client, sid) in &signed_in.clients {
            self.queue_backchannel(client, sid, &session.user_id)
                .await?;
            frames.extend(self.frontchannel_frame(client, sid));
        }
        let owner = Actor::user(&signed_in.username, None);
        let detail = json!({ "clients": signed_in.clients.len() });
        let target = Some(signed_in.username.as_str());
        let actor = self.actor.unwrap_or(&owner);
        audit::record(
            self.db,
            self.now,
            actor,
            Action::SessionEnded,
            target,
            detail,
        )
        .await;
        Ok(frames)
    }

    async fn queue_backchannel(
        &self,
        client: &Client,
        sid: &str,
        sub: &str,
    ) -> Result<(), StorageError> {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            return Ok(());
        };
        let token = match self.logout_token(client, sid, sub) {
            Ok(token) => token,
            Err(error) => {
                tracing::error!(error = %error, client_id = %client.id, "cannot sign a logout token");
                return Ok(());
            }
        };
        let row = LogoutDelivery {
            id: uuid::Uuid::new_v4().to_string(),
            client_id: client.id.clone(),
            uri,
            logout_token: token,
            attempts: 0,
            next_attempt_at: self.now,
            delivered_at: None,
            last_error: None,
            created_at: self.now,
        };
        self.db
            .run(move |conn| LogoutDelivery::insert(conn, &row))
            .await
    }

    /// A logout token: `iss aud iat exp jti sid sub events`, never `nonce`
    /// (Back-Channel Logout 1.0 section 2.4). Signed with the client's ID
    /// token algorithm; a client on HS256 gets RS256, as its secret is not
    /// needed to trust a token from us.
    fn logout_token(
        &self,
        client: &Client,
        sid: &str,
        sub: &str,
    ) -> Result<String, crate::keys::KeyError> {
        let alg = match IdTokenAlg::parse(&client.id_token_signed_response_alg) {
            Ok(IdTokenAlg::Key(alg)) => alg,
            _ => SigningAlg::RS256,
        };
        let claims = json!({
            "iss": self.issuer,
            "aud": client.id,
            "iat": self.now,
            "exp": self.now + LOGOUT_TOKEN_LIFETIME_SECS,
            "jti": uuid::Uuid::new_v4().to_string(),
            "sid": sid,
            "sub": sub,
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        });
        self.keys
            .sign(alg, LOGOUT_TOKEN_TYP, claims.to_string().as_bytes())
    }

    /// `iss` and `sid` go on the URI (Front-Channel Logout 1.0 section 2).
    fn frontchannel_frame(&self, client: &Client, sid: &str) -> Option<FrontChannelFrame> {
        let mut url = url::Url::parse(client.frontchannel_logout_uri.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("iss", self.issuer)
            .append_pair("sid", sid);
        let origin = url.origin().ascii_serialization();
        Some(FrontChannelFrame {
            url: url.to_string(),
            origin,
        })
    }
}

/// What a session had signed in to, found as it ends.
struct SignedIn {
    username: String,
    clients: Vec<(Client, String)>,
    access_tokens: Vec<(String, i64)>,
}

fn end_and_revoke(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: &str,
    now: i64,
) -> Result<SignedIn, StorageError> {
    use crate::storage::models::revoked_access_token::RevokedAccessToken;

    Session::end(conn, id_hash, now)?;
    let username = User::find(conn, user_id).map_or_else(|_| user_id.to_owned(), |u| u.username);
    let mut signed_in = SignedIn {
        username,
        clients: Vec::new(),
        access_tokens: Vec::new(),
    };
    for link in SessionClient::of_session(conn, id_hash)? {
        RefreshTokenRow::revoke_for_sid(conn, &link.sid, now)?;
        for (jti, expires_at) in IssuedAccessToken::live_for_sid(conn, &link.sid, now)? {
            RevokedAccessToken::insert(conn, &jti, expires_at, now)?;
            signed_in.access_tokens.push((jti, expires_at));
        }
        if let Ok(client) = Client::find(conn, &link.client_id) {
            signed_in.clients.push((client, link.sid));
        }
    }
    Ok(signed_in)
}
