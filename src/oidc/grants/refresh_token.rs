//! The refresh token grant (RFC 6749 section 6). Tokens rotate on every use;
//! a rotated token presented again means a copy exists, so its whole family
//! is revoked (RFC 9700 section 4.14.2).

use super::{
    GrantContext, Minted, NewRefresh, TokenForm, TokenResponse, amr_list, invalid_grant, mint,
};
use crate::domain::Scopes;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::tokens::Grant;
use crate::storage::StorageError;
use crate::storage::models::client::Client;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::models::user::User;

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
    let (row, user) = load(ctx, &crate::secret::token_hash(presented)).await?;

    check_usable(ctx, client, &row).await?;
    let scopes = narrowed_scopes(form, &row)?;
    let user = super::authorization_code::active(user)?;

    let grant = Grant {
        client_id: client.id.clone(),
        user: Some(user),
        scopes,
        auth_time: Some(row.auth_time),
        amr: amr_list(&row.amr),
        idp: row.idp.clone(),
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
        idp: row.idp.clone(),
    };
    let minted = mint(ctx, client, &grant, Some(successor))?;

    claim(ctx, &row, minted).await
}

/// The token's row and its user (`None` once deleted), in one trip.
async fn load(
    ctx: &GrantContext<'_>,
    token_hash: &str,
) -> Result<(RefreshTokenRow, Option<User>), OAuthError> {
    let hash = token_hash.to_owned();
    let found = ctx
        .db
        .run(move |conn| {
            let row = RefreshTokenRow::find(conn, &hash)?;
            let user = match User::find(conn, &row.user_id) {
                Err(StorageError::NotFound) => None,
                other => Some(other?),
            };
            Ok::<_, StorageError>((row, user))
        })
        .await;
    match found {
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

/// Marks the token rotated and stores its successor, in one transaction;
/// losing the race to another use counts as reuse.
async fn claim(
    ctx: &GrantContext<'_>,
    row: &RefreshTokenRow,
    minted: Minted,
) -> Result<TokenResponse, OAuthError> {
    let (hash, now) = (row.token_hash.clone(), ctx.now);
    let claimed = ctx
        .db
        .write(move |conn| {
            RefreshTokenRow::claim(conn, &hash, now)?;
            minted.persist(conn)?;
            Ok::<_, StorageError>(minted.response)
        })
        .await;
    match claimed {
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
        .write(move |conn| super::revoke_issued(conn, None, Some(&family), now))
        .await?;
    tracing::warn!(client_id = %row.client_id, "refresh token reused; family revoked");
    let actor = crate::audit::Actor::client(&row.client_id, None);
    let detail = serde_json::json!({ "client_id": row.client_id, "family_revoked": true });
    let action = crate::audit::Action::RefreshTokenReused;
    crate::audit::record(ctx.db, now, &actor, action, Some(&row.user_id), detail).await;
    Ok(())
}
