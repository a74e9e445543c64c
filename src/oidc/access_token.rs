//! Checking an access token presented to us (at `/userinfo`): our signature,
//! `typ: at+jwt`, our issuer, not expired, not deny-listed.

use serde::Deserialize;

use super::deny_list::DenyList;
use super::error::{ErrorCode, OAuthError};
use super::tokens::ACCESS_TOKEN_TYP;
use crate::domain::Scopes;
use crate::keys::KeySet;

/// The claims of a valid access token that callers use.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: serde_json::Value,
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

/// Checks `token`; the deny-list is read from memory (see `deny_list`).
pub fn validate(
    keys: &KeySet,
    deny_list: &DenyList,
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
    if deny_list.contains(&claims.jti) {
        return Err(invalid("the token was revoked"));
    }
    Ok(claims)
}
