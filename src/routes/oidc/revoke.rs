//! `POST /revoke` (RFC 7009).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::backchannel::{authenticate, error_response, no_store, parse_form};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::revocation::Revocation;
use crate::startup::AppState;

#[derive(Deserialize)]
struct RevokeRequest {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let request: RevokeRequest = match parse_form(&req, &body) {
        Ok(request) => request,
        Err(error) => return error_response(&error, false),
    };
    let client = match authenticate(
        &req,
        &state,
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    )
    .await
    {
        Ok(client) => client,
        Err(response) => return response,
    };
    let Some(token) = request.token else {
        return error_response(
            &OAuthError::new(ErrorCode::InvalidRequest, "token is required"),
            false,
        );
    };

    let keys = state.keys.current();
    let revocation = Revocation {
        db: &state.db,
        keys: &keys,
        deny_list: &state.deny_list,
        now: state.clock.now(),
    };
    match revocation
        .revoke(&client, &token, request.token_type_hint.as_deref())
        .await
    {
        Ok(()) => no_store(HttpResponse::Ok()).finish(),
        Err(error) => error_response(&error, false),
    }
}
