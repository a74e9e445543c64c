//! The client credentials grant (RFC 6749 section 4.4): a confidential
//! client acting for itself gets an access token, never an ID token.

use super::{GrantContext, TokenForm, TokenResponse, mint};
use crate::clients::AuthMethod;
use crate::domain::Scopes;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::tokens::Grant;
use crate::storage::models::client::Client;

/// Scopes that describe a person, meaningless without one.
const PERSON_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub(super) async fn issue(
    ctx: &GrantContext<'_>,
    client: &Client,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    if client.token_endpoint_auth_method == AuthMethod::None.as_str() {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        ));
    }
    let scopes = scopes(form, client)?;

    let grant = Grant {
        client_id: client.id.clone(),
        user: None,
        scopes,
        auth_time: None,
        amr: vec![],
        idp: None,
        sid: None,
        nonce: None,
    };
    // No session and no refresh token: nothing to write.
    let response = mint(ctx, client, &grant, None)?.response;
    tracing::info!(target: "audit", client_id = %client.id, "client credentials token issued");
    Ok(response)
}

/// The requested scopes, all within the client's allowed ones; without a
/// request, every allowed scope that does not describe a person.
fn scopes(form: &TokenForm, client: &Client) -> Result<Scopes, OAuthError> {
    let allowed = Scopes::parse(&client.allowed_scopes).unwrap_or_default();
    let Some(requested) = form.scope.as_deref() else {
        let own: Vec<&str> = allowed
            .iter()
            .map(|s| s.as_str())
            .filter(|s| !PERSON_SCOPES.contains(s))
            .collect();
        return Ok(Scopes::parse(&own.join(" ")).unwrap_or_default());
    };
    let requested =
        Scopes::parse(requested).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.0))?;
    if !requested.is_subset_of(&allowed) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "the client may not ask for some of these scopes",
        ));
    }
    Ok(requested)
}
