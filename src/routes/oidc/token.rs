//! `POST /token` (RFC 6749 section 3.2).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::backchannel::{authenticate, error_response, no_store, parse_form};
use crate::oidc::grants::{self, GrantContext, TokenForm};
use crate::startup::AppState;

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(flatten)]
    form: TokenForm,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let request: TokenRequest = match parse_form(&req, &body) {
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

    let ctx = GrantContext {
        db: &state.db,
        keys: &state.keys,
        client_secrets: &state.client_secrets,
        deny_list: &state.deny_list,
        settings: &state.settings,
        now: state.clock.now(),
    };
    match grants::exchange(&ctx, &client, &request.form).await {
        Ok(response) => no_store(HttpResponse::Ok()).json(response),
        Err(error) => error_response(&error, false),
    }
}
