//! The refresh token grant (RFC 6749 section 6). Tokens rotate on every use;
//! a rotated token presented again means a copy exists, so its whole family
//! is revoked (RFC 9700 section 4.14.2).

use super::{GrantContext, NewRefresh, TokenForm, TokenResponse, amr_list, invalid_grant, mint};
use crate::domain::Scopes;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::tokens::Grant;
use crate::storage::StorageError;
use crate::storage::models::client::Client;
use crate::storage::models::refresh_token::RefreshTokenRow;

pub(super) async fn refresh(
    ctx: &GrantContext<'_>,
    client: &Client,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    let presented = form
        .refresh_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidRequest, "refresh_token is required"))?;
    let row = load(ctx, &crate::secret::token_hash(presented)).await?;

    check_usable(ctx, client, &row).await?;
    let scopes = narrowed_scopes(form, &row)?;
    claim(ctx, &row).await?;
    let user = super::authorization_code::active_user(ctx, &row.user_id).await?;

    let grant = Grant {
        client_id: client.id.clone(),
        user: Some(user),
        scopes,
        auth_time: Some(row.auth_time),
        amr: amr_list(&row.amr),
        sid: Some(row.sid.clone()),
        nonce: None,
    };
    // The successor keeps the original scope (RFC 6749 section 6); only this
    // access token is narrowed.
    let successor = NewRefresh {
        family_id: Some(row.family_id.clone()),
        client_id: client.id.clone(),
        user_id: row.user_id.clone(),
        scope: row.scope.clone(),
        sid: row.sid.clone(),
        auth_time: row.auth_time,
        amr: row.amr.clone(),
    };
    Ok(mint(ctx, client, &grant, Some(successor)).await?.0)
}

async fn load(ctx: &GrantContext<'_>, token_hash: &str) -> Result<RefreshTokenRow, OAuthError> {
    let hash = token_hash.to_owned();
    match ctx
        .db
        .run(move |conn| RefreshTokenRow::find(conn, &hash))
        .await
    {
        Err(StorageError::NotFound) => Err(invalid_grant("the refresh token is not valid")),
        other => Ok(other?),
    }
}

async fn check_usable(
    ctx: &GrantContext<'_>,
    client: &Client,
    row: &RefreshTokenRow,
) -> Result<(), OAuthError> {
    if row.client_id != client.id {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if row.revoked_at.is_some() {
        return Err(invalid_grant("the refresh token was revoked"));
    }
    if row.rotated_at.is_some() {
        revoke_family(ctx, row).await?;
        return Err(invalid_grant(
            "the refresh token was already used; its family is revoked",
        ));
    }
    if row.expires_at <= ctx.now {
        return Err(invalid_grant("the refresh token expired"));
    }
    Ok(())
}

fn narrowed_scopes(form: &TokenForm, row: &RefreshTokenRow) -> Result<Scopes, OAuthError> {
    let granted = Scopes::parse(&row.scope).unwrap_or_default();
    let Some(requested) = form.scope.as_deref() else {
        return Ok(granted);
    };
    let requested =
        Scopes::parse(requested).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.0))?;
    if requested.is_empty() || !requested.is_subset_of(&granted) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "a refresh can narrow the scope, never widen it",
        ));
    }
    Ok(requested)
}

async fn claim(ctx: &GrantContext<'_>, row: &RefreshTokenRow) -> Result<(), OAuthError> {
    let (hash, now) = (row.token_hash.clone(), ctx.now);
    match ctx
        .db
        .run(move |conn| RefreshTokenRow::claim(conn, &hash, now))
        .await
    {
        Err(StorageError::NotFound) => {
            revoke_family(ctx, row).await?;
            Err(invalid_grant("the refresh token was already used"))
        }
        other => Ok(other?),
    }
}

async fn revoke_family(ctx: &GrantContext<'_>, row: &RefreshTokenRow) -> Result<(), OAuthError> {
    let (family, now) = (row.family_id.clone(), ctx.now);
    ctx.db
        .run(move |conn| super::revoke_issued(conn, None, Some(&family), now))
        .await?;
    tracing::warn!(client_id = %row.client_id, "refresh token reused; family revoked");
    let actor = crate::audit::Actor::client(&row.client_id, None);
    let detail = serde_json::json!({ "client_id": row.client_id, "family_revoked": true });
    let action = crate::audit::Action::RefreshTokenReused;
    crate::audit::record(ctx.db, now, &actor, action, Some(&row.user_id), detail).await;
    Ok(())
}
