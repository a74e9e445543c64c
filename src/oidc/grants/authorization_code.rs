//! The authorization code grant (RFC 6749 section 4.1.3, RFC 7636 section
//! 4.6). A code works once; a second use revokes what the first issued
//! (RFC 6749 section 4.1.2).

use super::{
    GrantContext, Minted, NewRefresh, TokenForm, TokenResponse, amr_list, invalid_grant, mint,
    revoke_issued,
};
use crate::domain::Scopes;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::pkce;
use crate::oidc::tokens::Grant;
use crate::storage::StorageError;
use crate::storage::models::authorization_code::{AuthorizationCodeRow, Redemption};
use crate::storage::models::client::Client;
use crate::storage::models::user::User;

pub(super) async fn redeem(
    ctx: &GrantContext<'_>,
    client: &Client,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    let code = form
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidRequest, "code is required"))?;
    let code_hash = crate::secret::token_hash(code);
    let (row, user) = load(ctx, &code_hash).await?;

    check_binding(ctx, client, form, &row).await?;
    let user = active(user)?;

    let grant = Grant {
        client_id: client.id.clone(),
        user: Some(user),
        scopes: Scopes::parse(&row.scope).unwrap_or_default(),
        auth_time: Some(row.auth_time),
        amr: amr_list(&row.amr),
        idp: row.idp.clone(),
        sid: Some(row.sid.clone()),
        nonce: row.nonce.clone(),
    };
    let refresh = super::client_grants(client)
        .iter()
        .any(|g| g == "refresh_token")
        .then(|| NewRefresh {
            family_id: None,
            client_id: client.id.clone(),
            user_id: row.user_id.clone(),
            scope: row.scope.clone(),
            sid: row.sid.clone(),
            auth_time: row.auth_time,
            amr: row.amr.clone(),
            idp: row.idp.clone(),
        });
    let minted = mint(ctx, client, &grant, refresh)?;

    let response = claim(ctx, &row, minted).await?;
    tracing::info!(target: "audit", client_id = %client.id, user_id = %row.user_id, "authorization code redeemed");
    Ok(response)
}

/// The code's row and its user (`None` once deleted), in one trip.
async fn load(
    ctx: &GrantContext<'_>,
    code_hash: &str,
) -> Result<(AuthorizationCodeRow, Option<User>), OAuthError> {
    let hash = code_hash.to_owned();
    let found = ctx
        .db
        .run(move |conn| {
            let row = AuthorizationCodeRow::find(conn, &hash)?;
            let user = match User::find(conn, &row.user_id) {
                Err(StorageError::NotFound) => None,
                other => Some(other?),
            };
            Ok::<_, StorageError>((row, user))
        })
        .await;
    match found {
        Err(StorageError::NotFound) => Err(invalid_grant("the authorization code is not valid")),
        other => Ok(other?),
    }
}

/// The code is this client's, unused, unexpired, for this redirect URI, and
/// the verifier answers its challenge.
async fn check_binding(
    ctx: &GrantContext<'_>,
    client: &Client,
    form: &TokenForm,
    row: &AuthorizationCodeRow,
) -> Result<(), OAuthError> {
    if row.client_id != client.id {
        return Err(invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if row.redeemed_at.is_some() {
        revoke_first_use(ctx, row).await?;
        return Err(invalid_grant(
            "the authorization code was already used; the tokens it issued are revoked",
        ));
    }
    if row.expires_at <= ctx.now {
        return Err(invalid_grant("the authorization code expired"));
    }
    if form.redirect_uri.as_deref() != Some(row.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    match (&row.code_challenge, form.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if pkce::verify(challenge, verifier) => Ok(()),
        (Some(_), Some(_)) => Err(invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(invalid_grant("code_verifier is required")),
        // A verifier without a challenge means someone injected a code from
        // another flow (RFC 9700 section 4.8.2).
        (None, Some(_)) => Err(invalid_grant("no code_challenge was sent for this code")),
        (None, None) => Ok(()),
    }
}

/// Marks the code used and writes what its tokens need, in one transaction;
/// losing the race to another redemption counts as reuse.
async fn claim(
    ctx: &GrantContext<'_>,
    row: &AuthorizationCodeRow,
    minted: Minted,
) -> Result<TokenResponse, OAuthError> {
    let (hash, now) = (row.code_hash.clone(), ctx.now);
    let redemption = Redemption {
        access_token_jti: minted.issued.access_token_jti.clone(),
        access_token_expires_at: minted.issued.access_token_expires_at,
        refresh_family_id: minted.issued.refresh_family_id.clone(),
    };
    let claimed = ctx
        .db
        .write(move |conn| {
            AuthorizationCodeRow::claim(conn, &hash, now)?;
            minted.persist(conn)?;
            AuthorizationCodeRow::record_redemption(conn, &hash, &redemption)?;
            Ok::<_, StorageError>(minted.response)
        })
        .await;
    match claimed {
        Err(StorageError::NotFound) => {
            revoke_first_use(ctx, row).await?;
            Err(invalid_grant("the authorization code was already used"))
        }
        other => Ok(other?),
    }
}

async fn revoke_first_use(
    ctx: &GrantContext<'_>,
    row: &AuthorizationCodeRow,
) -> Result<(), OAuthError> {
    let (hash, now) = (row.code_hash.clone(), ctx.now);
    let revoked = ctx
        .db
        .write(move |conn| {
            let current = AuthorizationCodeRow::find(conn, &hash)?;
            let jti = current
                .access_token_jti
                .as_deref()
                .zip(current.access_token_expires_at);
            revoke_issued(conn, jti, current.refresh_family_id.as_deref(), now)?;
            Ok::<_, crate::storage::StorageError>(
                current
                    .access_token_jti
                    .zip(current.access_token_expires_at),
            )
        })
        .await?;
    if let Some((jti, expires_at)) = revoked {
        ctx.deny_list.note_revoked(&jti, expires_at);
    }
    tracing::warn!(client_id = %row.client_id, "authorization code reused; issued tokens revoked");
    let actor = crate::audit::Actor::client(&row.client_id, None);
    let detail = serde_json::json!({ "client_id": row.client_id, "tokens_revoked": true });
    let action = crate::audit::Action::CodeReused;
    crate::audit::record(ctx.db, ctx.now, &actor, action, Some(&row.user_id), detail).await;
    Ok(())
}

/// The user a code or refresh token was issued to, if they may still sign in.
pub(super) fn active(user: Option<User>) -> Result<User, OAuthError> {
    match user {
        Some(user) if !user.disabled => Ok(user),
        _ => Err(invalid_grant("the user can no longer sign in")),
    }
}
