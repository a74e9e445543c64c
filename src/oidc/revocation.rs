//! Token revocation (RFC 7009): a refresh token takes its whole family with
//! it; an access token's `jti` goes on the deny-list until it would have
//! expired. Tokens that are unknown, foreign, expired or another client's
//! change nothing, and the answer is the same (section 2.2), so revocation
//! reveals nothing about a token.

use super::deny_list::DenyList;
use super::error::OAuthError;
use crate::audit::{self, Action, Actor};
use crate::keys::KeySet;
use crate::storage::models::client::Client;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::{Db, StorageError};

pub struct Revocation<'a> {
    pub db: &'a Db,
    pub keys: &'a KeySet,
    pub deny_list: &'a DenyList,
    pub now: i64,
}

impl Revocation<'_> {
    /// Revokes `token` if it is `client`'s. The hint only orders the checks.
    pub async fn revoke(
        &self,
        client: &Client,
        token: &str,
        hint: Option<&str>,
    ) -> Result<(), OAuthError> {
        if hint == Some("access_token") && self.revoke_access_token(client, token).await? {
            return Ok(());
        }
        if self.revoke_refresh_token(client, token).await? {
            return Ok(());
        }
        self.revoke_access_token(client, token).await?;
        Ok(())
    }

    async fn revoke_refresh_token(&self, client: &Client, token: &str) -> Result<bool, OAuthError> {
        let (hash, now) = (crate::secret::token_hash(token), self.now);
        let row = match self
            .db
            .run(move |conn| RefreshTokenRow::find(conn, &hash))
            .await
        {
            Ok(row) if row.client_id == client.id => row,
            Ok(_) | Err(StorageError::NotFound) => return Ok(false),
            Err(other) => return Err(other.into()),
        };

        let family = row.family_id.clone();
        self.db
            .run(move |conn| RefreshTokenRow::revoke_family(conn, &family, now))
            .await?;
        let detail = serde_json::json!({ "token_type": "refresh_token", "user_id": row.user_id });
        self.audit(client, detail).await;
        Ok(true)
    }

    async fn revoke_access_token(&self, client: &Client, token: &str) -> Result<bool, OAuthError> {
        let Ok((payload, _)) = self.keys.verify(token) else {
            return Ok(false);
        };
        let Ok(claims) = serde_json::from_slice::<AccessTokenIds>(&payload) else {
            return Ok(false);
        };
        if claims.client_id != client.id || claims.exp <= self.now {
            return Ok(false);
        }

        self.deny_list.revoke(&claims.jti, claims.exp).await?;
        let detail = serde_json::json!({ "token_type": "access_token", "jti": claims.jti });
        self.audit(client, detail).await;
        Ok(true)
    }

    async fn audit(&self, client: &Client, detail: serde_json::Value) {
        let actor = Actor::client(&client.id, None);
        audit::record(
            self.db,
            self.now,
            &actor,
            Action::TokenRevoked,
            Some(&client.id),
            detail,
        )
        .await;
    }
}

#[derive(serde::Deserialize)]
struct AccessTokenIds {
    jti: String,
    client_id: String,
    exp: i64,
}
