//! Token introspection (RFC 7662). Active tokens are described; revoked,
//! expired, deny-listed, rotated or foreign ones, and refresh tokens of
//! another client, are only `{"active": false}`.

use serde::Serialize;
use serde_json::Value;

use super::access_token;
use super::deny_list::DenyList;
use super::error::OAuthError;
use crate::keys::KeySet;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::{Db, StorageError};

/// The scope a Bearer token needs to call the introspection endpoint.
pub const INTROSPECTION_SCOPE: &str = "introspect";

#[derive(Debug, Serialize, Default)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

#[derive(Debug, Serialize)]
pub struct Details {
    pub scope: String,
    pub client_id: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    pub aud: Value,
    pub token_type: &'static str,
}

pub struct Introspector<'a> {
    pub db: &'a Db,
    pub keys: &'a KeySet,
    pub deny_list: &'a DenyList,
    pub issuer: &'a str,
    pub now: i64,
}

impl Introspector<'_> {
    /// Describes `token` to `caller` (a client id, or `None` for a Bearer
    /// caller, who may see access tokens only).
    pub async fn introspect(
        &self,
        caller: Option<&str>,
        token: &str,
    ) -> Result<Introspection, OAuthError> {
        if let Ok(claims) =
            access_token::validate(self.keys, self.deny_list, self.issuer, self.now, token)
        {
            let details = Details {
                scope: claims.scope,
                client_id: claims.client_id,
                sub: claims.sub,
                exp: claims.exp,
                iat: claims.iat,
                iss: claims.iss,
                aud: claims.aud,
                token_type: "Bearer",
            };
            return Ok(Introspection {
                active: true,
                details: Some(details),
            });
        }
        match caller {
            Some(client_id) => self.refresh_token(client_id, token).await,
            None => Ok(Introspection::default()),
        }
    }

    async fn refresh_token(
        &self,
        client_id: &str,
        token: &str,
    ) -> Result<Introspection, OAuthError> {
        let hash = crate::secret::token_hash(token);
        let row = match self
            .db
            .run(move |conn| RefreshTokenRow::find(conn, &hash))
            .await
        {
            Ok(row) => row,
            Err(StorageError::NotFound) => return Ok(Introspection::default()),
            Err(other) => return Err(other.into()),
        };
        let usable =
            row.revoked_at.is_none() && row.rotated_at.is_none() && row.expires_at > self.now;
        if !usable || row.client_id != client_id {
            return Ok(Introspection::default());
        }

        let details = Details {
            scope: row.scope,
            aud: Value::from(row.client_id.clone()),
            client_id: row.client_id,
            sub: row.user_id,
            exp: row.expires_at,
            iat: row.created_at,
            iss: self.issuer.to_owned(),
            token_type: "refresh_token",
        };
        Ok(Introspection {
            active: true,
            details: Some(details),
        })
    }
}
