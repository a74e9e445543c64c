//! Signing a grant's tokens, apart from writing what they leave behind, so
//! each grant writes its rows in one transaction with its own claim (the code
//! or refresh token marked used).

use super::{GrantContext, TokenResponse, server_error};
use crate::keys::SigningAlg;
use crate::oidc::error::OAuthError;
use crate::oidc::tokens::{Grant, IdTokenAlg, IdTokenSigner, Minter};
use crate::storage::models::client::Client;
use crate::storage::models::issued_access_token::IssuedAccessToken;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::{DbConnection, StorageError};

/// What a token response issued, by id.
pub(in crate::oidc::grants) struct IssuedIds {
    pub access_token_jti: String,
    pub access_token_expires_at: i64,
    pub refresh_family_id: Option<String>,
}

/// A refresh token to store: its family (existing or new) and what it grants.
pub(in crate::oidc::grants) struct NewRefresh {
    pub family_id: Option<String>,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub sid: String,
    pub auth_time: i64,
    pub amr: String,
    pub idp: Option<String>,
}

/// Signed tokens, not yet handed out: the rows that make them revocable
/// must be written first, with [`Minted::persist`].
pub(in crate::oidc::grants) struct Minted {
    pub response: TokenResponse,
    pub issued: IssuedIds,
    /// An access token issued in an SSO session, so logout can deny-list it.
    session_access: Option<(String, i64)>,
    refresh: Option<RefreshTokenRow>,
}

impl Minted {
    /// Writes the rows the tokens need; run it in the grant's transaction.
    pub fn persist(&self, conn: &mut DbConnection) -> Result<(), StorageError> {
        if let Some((sid, expires_at)) = &self.session_access {
            IssuedAccessToken::insert(conn, &self.issued.access_token_jti, sid, *expires_at)?;
        }
        if let Some(row) = &self.refresh {
            RefreshTokenRow::insert(conn, row)?;
        }
        Ok(())
    }
}

/// Signs the access token, the ID token when `openid` was granted, and makes
/// a refresh token (a new family, or the next of `family`) when the client
/// may refresh. Touches no database.
pub(in crate::oidc::grants) fn mint(
    ctx: &GrantContext<'_>,
    client: &Client,
    grant: &Grant,
    refresh: Option<NewRefresh>,
) -> Result<Minted, OAuthError> {
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

    let id_token = match (grant.user.is_some(), grant.scopes.contains("openid")) {
        (true, true) => Some(id_token(ctx, &minter, client, grant, &access.token)?),
        _ => None,
    };
    let refresh = refresh.map(|new| refresh_token(ctx, client, new));

    let issued = IssuedIds {
        access_token_jti: access.jti.clone(),
        access_token_expires_at: access.expires_at,
        refresh_family_id: refresh.as_ref().map(|(_, row)| row.family_id.clone()),
    };
    let session_access = grant.sid.clone().map(|sid| (sid, access.expires_at));
    let (refresh_token, refresh_row) = refresh.unzip();
    let response = TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: lifetime,
        scope: grant.scopes.to_string(),
        refresh_token,
        id_token,
    };
    Ok(Minted {
        response,
        issued,
        session_access,
        refresh: refresh_row,
    })
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

/// A new refresh token and the row that stores its hash.
fn refresh_token(
    ctx: &GrantContext<'_>,
    client: &Client,
    new: NewRefresh,
) -> (String, RefreshTokenRow) {
    let lifetime = client
        .refresh_token_lifetime_secs
        .unwrap_or(ctx.settings.tokens.refresh_token_lifetime_secs);
    let token = crate::secret::random_token(32);
    let family_id = new
        .family_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let row = RefreshTokenRow {
        token_hash: crate::secret::token_hash(&token),
        family_id,
        client_id: new.client_id,
        user_id: new.user_id,
        scope: new.scope,
        sid: new.sid,
        auth_time: new.auth_time,
        amr: new.amr,
        created_at: ctx.now,
        expires_at: ctx.now + lifetime,
        rotated_at: None,
        revoked_at: None,
        idp: new.idp,
    };
    (token, row)
}
