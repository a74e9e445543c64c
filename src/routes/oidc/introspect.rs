//! `POST /introspect` (RFC 7662): for confidential clients, or for a Bearer
//! access token carrying the `introspect` scope.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::backchannel::{authenticate, error_response, no_store, parse_form};
use crate::clients::AuthMethod;
use crate::oidc::access_token;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::introspection::{INTROSPECTION_SCOPE, Introspector};
use crate::startup::AppState;

#[derive(Deserialize)]
struct IntrospectRequest {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub async fn introspect_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let request: IntrospectRequest = match parse_form(&req, &body) {
        Ok(request) => request,
        Err(error) => return error_response(&error, false),
    };
    let caller = match caller(&req, &state, &request).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let Some(token) = request.token else {
        return error_response(
            &OAuthError::new(ErrorCode::InvalidRequest, "token is required"),
            false,
        );
    };

    let keys = state.keys.current();
    let introspector = Introspector {
        db: &state.db,
        keys: &keys,
        deny_list: &state.deny_list,
        issuer: &state.settings.issuer,
        now: state.clock.now(),
    };
    match introspector.introspect(caller.as_deref(), &token).await {
        Ok(answer) => no_store(HttpResponse::Ok()).json(answer),
        Err(error) => error_response(&error, false),
    }
}

/// The calling client's id, or `None` for a Bearer caller with the
/// introspection scope.
async fn caller(
    req: &HttpRequest,
    state: &AppState,
    request: &IntrospectRequest,
) -> Result<Option<String>, HttpResponse> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(bearer) = authorization.and_then(|v| v.strip_prefix("Bearer ")) {
        let keys = state.keys.current();
        let now = state.clock.now();
        let claims = access_token::validate(
            &keys,
            &state.deny_list,
            &state.settings.issuer,
            now,
            bearer.trim(),
        );
        return match claims {
            Ok(claims) if claims.scopes().contains(INTROSPECTION_SCOPE) => Ok(None),
            _ => Err(bearer_refused()),
        };
    }

    let client = authenticate(
        req,
        state,
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    )
    .await?;
    if client.token_endpoint_auth_method == AuthMethod::None.as_str() {
        let error = OAuthError::new(
            ErrorCode::InvalidClient,
            "public clients cannot introspect tokens",
        );
        return Err(error_response(&error, false));
    }
    Ok(Some(client.id))
}

fn bearer_refused() -> HttpResponse {
    no_store(HttpResponse::Unauthorized())
        .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"porteiro\", error=\"invalid_token\", scope=\"introspect\""))
        .json(serde_json::json!({
            "error": "invalid_token",
            "error_description": "a Bearer caller needs a valid access token with the introspect scope",
        }))
}
