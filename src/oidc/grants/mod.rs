//! The token endpoint's grants, one file each, behind [`exchange`].

mod authorization_code;
mod client_credentials;
mod mint;
mod refresh_token;

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, OAuthError};
use crate::clients::ClientSecrets;
use crate::config::Settings;
use crate::keys::KeyStore;
use crate::oidc::deny_list::DenyList;
use crate::storage::models::client::Client;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::{Db, DbConnection, StorageError};
use mint::{Minted, NewRefresh, mint};

/// The token request's parameters, besides client authentication.
#[derive(Default, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

/// Shows which parameters came, never the code, token or verifier.
impl std::fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenForm")
            .field("grant_type", &self.grant_type)
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("redirect_uri", &self.redirect_uri)
            .field(
                "code_verifier",
                &self.code_verifier.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

/// The successful response (RFC 6749 section 5.1).
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// What every grant needs.
pub struct GrantContext<'a> {
    pub db: &'a Db,
    pub keys: &'a KeyStore,
    pub client_secrets: &'a ClientSecrets,
    pub deny_list: &'a DenyList,
    pub settings: &'a Settings,
    pub now: i64,
}

/// Runs the grant the form names for an authenticated `client`.
pub async fn exchange(
    ctx: &GrantContext<'_>,
    client: &Client,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = form.grant_type.as_deref().unwrap_or_default();
    let known = ["authorization_code", "refresh_token", "client_credentials"];
    if !known.contains(&grant_type) {
        let description = if grant_type.is_empty() {
            "grant_type is required"
        } else {
            "unsupported grant_type"
        };
        let code = if grant_type.is_empty() {
            ErrorCode::InvalidRequest
        } else {
            ErrorCode::UnsupportedGrantType
        };
        return Err(OAuthError::new(code, description));
    }
    if !client_grants(client).iter().any(|g| g == grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use this grant",
        ));
    }

    match grant_type {
        "authorization_code" => authorization_code::redeem(ctx, client, form).await,
        "refresh_token" => refresh_token::refresh(ctx, client, form).await,
        _ => client_credentials::issue(ctx, client, form).await,
    }
}

fn client_grants(client: &Client) -> Vec<String> {
    serde_json::from_str(&client.grant_types).unwrap_or_default()
}

pub(super) fn invalid_grant(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

pub(super) fn server_error(error: impl std::fmt::Display) -> OAuthError {
    tracing::error!(error = %error, "token request failed");
    OAuthError::new(
        ErrorCode::ServerError,
        "the server failed to handle the request",
    )
}

impl From<StorageError> for OAuthError {
    fn from(error: StorageError) -> Self {
        server_error(error)
    }
}

/// Revokes what a stolen or replayed credential issued: the access token by
/// its `jti` and the refresh family.
pub(super) fn revoke_issued(
    conn: &mut DbConnection,
    jti: Option<(&str, i64)>,
    family_id: Option<&str>,
    now: i64,
) -> Result<(), StorageError> {
    use crate::storage::models::revoked_access_token::RevokedAccessToken;

    if let Some((jti, expires_at)) = jti {
        RevokedAccessToken::insert(conn, jti, expires_at, now)?;
    }
    if let Some(family) = family_id {
        RefreshTokenRow::revoke_family(conn, family, now)?;
    }
    Ok(())
}

pub(super) fn amr_list(amr_json: &str) -> Vec<String> {
    serde_json::from_str(amr_json).unwrap_or_default()
}
