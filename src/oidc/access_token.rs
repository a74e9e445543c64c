//! Checking an access token presented to us (at `/userinfo`): our signature,
//! `typ: at+jwt`, our issuer, not expired, not deny-listed.

use serde::Deserialize;

use super::error::{ErrorCode, OAuthError};
use super::tokens::ACCESS_TOKEN_TYP;
use crate::domain::Scopes;
use crate::keys::KeySet;
use crate::storage::Db;
use crate::storage::models::revoked_access_token::RevokedAccessToken;

/// The claims of a valid access token that callers use.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub client_id: String,
    pub scope: String,
    pub jti: String,
    pub exp: i64,
    pub iat: i64,
}

impl AccessTokenClaims {
    pub fn scopes(&self) -> Scopes {
        Scopes::parse(&self.scope).unwrap_or_default()
    }
}

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, description)
}

pub async fn validate(
    keys: &KeySet,
    db: &Db,
    issuer: &str,
    now: i64,
    token: &str,
) -> Result<AccessTokenClaims, OAuthError> {
    let (payload, header) = keys.verify(token).map_err(|e| invalid(&e.to_string()))?;
    if header.token_type() != Some(ACCESS_TOKEN_TYP) {
        return Err(invalid("the token is not an access token"));
    }
    let claims: AccessTokenClaims = serde_json::from_slice(&payload)
        .map_err(|_| invalid("the token's claims are malformed"))?;
    if claims.iss != issuer {
        return Err(invalid("the token is from another issuer"));
    }
    if claims.exp <= now {
        return Err(invalid("the token expired"));
    }

    let jti = claims.jti.clone();
    let revoked = db
        .run(move |conn| RevokedAccessToken::is_revoked(conn, &jti))
        .await
        .map_err(|error| {
            tracing::error!(error = %error, "cannot check the deny-list");
            OAuthError::new(ErrorCode::ServerError, "the token could not be checked")
        })?;
    if revoked {
        return Err(invalid("the token was revoked"));
    }
    Ok(claims)
}
