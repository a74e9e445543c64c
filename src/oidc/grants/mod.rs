//! The token endpoint's grants, one file each, behind [`exchange`].

mod authorization_code;
mod client_credentials;
mod refresh_token;

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, OAuthError};
use super::tokens::{Grant, IdTokenAlg, IdTokenSigner, Minter};
use crate::clients::ClientSecrets;
use crate::config::Settings;
use crate::keys::{KeyStore, SigningAlg};
use crate::oidc::deny_list::DenyList;
use crate::storage::models::client::Client;
use crate::storage::models::issued_access_token::IssuedAccessToken;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::{Db, DbConnection, StorageError};

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

/// Mints the access token, the ID token when `openid` was granted, and a
/// refresh token (a new family, or the next of `family`) when the client
/// may refresh.
pub(super) async fn mint(
    ctx: &GrantContext<'_>,
    client: &Client,
    grant: &Grant,
    refresh: Option<NewRefresh>,
) -> Result<(TokenResponse, IssuedIds), OAuthError> {
    let minter = Minter {
        keys: ctx.keys,
        issuer: &ctx.settings.issuer,
        now: ctx.now,
    };
    let access_alg = client
        .access_token_signed_response_alg
        .as_deref()
        .unwrap_or(&ctx.settings.tokens.access_token_signing_alg);
    let access_alg = SigningAlg::parse(access_alg).map_err(server_error)?;
    let lifetime = client
        .access_token_lifetime_secs
        .unwrap_or(ctx.settings.tokens.access_token_lifetime_secs);
    let access = minter
        .access_token(grant, access_alg, lifetime)
        .map_err(server_error)?;
    if let Some(sid) = &grant.sid {
        let (jti, sid, expires_at) = (access.jti.clone(), sid.clone(), access.expires_at);
        ctx.db
            .run(move |conn| IssuedAccessToken::insert(conn, &jti, &sid, expires_at))
            .await?;
    }

    let id_token = match (grant.user.is_some(), grant.scopes.contains("openid")) {
        (true, true) => Some(id_token(ctx, &minter, client, grant, &access.token)?),
        _ => None,
    };
    let refresh_token = match refresh {
        Some(new) => {
            let lifetime = client
                .refresh_token_lifetime_secs
                .unwrap_or(ctx.settings.tokens.refresh_token_lifetime_secs);
            Some(store_refresh_token(ctx, new, lifetime).await?)
        }
        None => None,
    };

    let ids = IssuedIds {
        access_token_jti: access.jti.clone(),
        access_token_expires_at: access.expires_at,
        refresh_family_id: refresh_token.as_ref().map(|(_, family)| family.clone()),
    };
    let response = TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: lifetime,
        scope: grant.scopes.to_string(),
        refresh_token: refresh_token.map(|(token, _)| token),
        id_token,
    };
    Ok((response, ids))
}

/// The ID token, signed as the client registered: with our key, or HS256
/// with its own secret.
fn id_token(
    ctx: &GrantContext<'_>,
    minter: &Minter<'_>,
    client: &Client,
    grant: &Grant,
    access_token: &str,
) -> Result<String, OAuthError> {
    let lifetime = client
        .id_token_lifetime_secs
        .unwrap_or(ctx.settings.tokens.id_token_lifetime_secs);
    match IdTokenAlg::parse(&client.id_token_signed_response_alg).map_err(server_error)? {
        IdTokenAlg::Key(alg) => minter
            .id_token(grant, access_token, IdTokenSigner::Key(alg), lifetime)
            .map_err(server_error),
        IdTokenAlg::Hs256 => {
            let sealed = client
                .sealed_secret
                .as_deref()
                .ok_or_else(|| server_error("an HS256 client has no sealed secret"))?;
            let secret = ctx
                .client_secrets
                .open(&client.id, sealed)
                .map_err(server_error)?;
            minter
                .id_token(
                    grant,
                    access_token,
                    IdTokenSigner::ClientSecret(&secret),
                    lifetime,
                )
                .map_err(server_error)
        }
    }
}

/// What a token response issued, by id.
pub(super) struct IssuedIds {
    pub access_token_jti: String,
    pub access_token_expires_at: i64,
    pub refresh_family_id: Option<String>,
}

/// A refresh token to store: its family (existing or new) and what it grants.
pub(super) struct NewRefresh {
    pub family_id: Option<String>,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub sid: String,
    pub auth_time: i64,
    pub amr: String,
}

async fn store_refresh_token(
    ctx: &GrantContext<'_>,
    new: NewRefresh,
    lifetime_secs: i64,
) -> Result<(String, String), OAuthError> {
    let token = crate::secret::random_token(32);
    let family_id = new
        .family_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let row = RefreshTokenRow {
        token_hash: crate::secret::token_hash(&token),
        family_id: family_id.clone(),
        client_id: new.client_id,
        user_id: new.user_id,
        scope: new.scope,
        sid: new.sid,
        auth_time: new.auth_time,
        amr: new.amr,
        created_at: ctx.now,
        expires_at: ctx.now + lifetime_secs,
        rotated_at: None,
        revoked_at: None,
    };
    ctx.db
        .run(move |conn| RefreshTokenRow::insert(conn, &row))
        .await?;
    Ok((token, family_id))
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
