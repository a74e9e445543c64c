//! `GET/POST /userinfo` (OpenID Connect Core 5.3), with Bearer tokens in the
//! header or the form body (RFC 6750 sections 2.1 and 2.2).

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::oidc::access_token;
use crate::oidc::claims::user_claims;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::user::User;

pub async fn show_userinfo(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let token = match bearer_token(&req, &body) {
        Ok(Some(token)) => token,
        Ok(None) => return challenge(StatusCode::UNAUTHORIZED, None),
        Err(error) => return challenge(StatusCode::BAD_REQUEST, Some(&error)),
    };
    let keys = state.keys.current();
    let now = state.clock.now();
    let claims = match access_token::validate(
        &keys,
        &state.deny_list,
        &state.settings.issuer,
        now,
        &token,
    ) {
        Ok(claims) => claims,
        Err(error) if error.code == ErrorCode::ServerError => {
            return server_error();
        }
        Err(error) => return challenge(StatusCode::UNAUTHORIZED, Some(&error)),
    };
    let scopes = claims.scopes();
    if !scopes.contains("openid") {
        let error = OAuthError::new(
            ErrorCode::InsufficientScope,
            "the token lacks the openid scope",
        );
        return challenge(StatusCode::FORBIDDEN, Some(&error));
    }

    let sub = claims.sub.clone();
    let user = match state.db.run(move |conn| User::find(conn, &sub)).await {
        Ok(user) if !user.disabled => user,
        Ok(_) | Err(StorageError::NotFound) => {
            let error = OAuthError::new(
                ErrorCode::InvalidToken,
                "the token's user can no longer sign in",
            );
            return challenge(StatusCode::UNAUTHORIZED, Some(&error));
        }
        Err(error) => {
            tracing::error!(error = %error, "cannot load the token's user");
            return server_error();
        }
    };
    cors(HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(user_claims(&user, &scopes))
}

/// The token from `Authorization: Bearer`, or from an `access_token` form
/// field of a POST; never both (RFC 6750 section 2).
fn bearer_token(req: &HttpRequest, body: &[u8]) -> Result<Option<String>, OAuthError> {
    let invalid = |description: &str| OAuthError::new(ErrorCode::InvalidRequest, description);
    let header_token = match req.headers().get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(value)) => Some(
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .map(|t| t.trim().to_owned())
                .ok_or_else(|| invalid("the Authorization header must use the Bearer scheme"))?,
        ),
        Some(Err(_)) => return Err(invalid("the Authorization header is malformed")),
    };

    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body_token = match (*req.method() == Method::POST, is_form) {
        (true, true) => serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| invalid("the body is not form-encoded"))?
            .into_iter()
            .find(|(name, _)| name == "access_token")
            .map(|(_, value)| value),
        _ => None,
    };
    match (header_token, body_token) {
        (Some(_), Some(_)) => Err(invalid("send the token once: in the header or in the body")),
        (token, None) | (None, token) => Ok(token.filter(|t| !t.is_empty())),
    }
}

/// An error with `WWW-Authenticate: Bearer` (RFC 6750 section 3); without an
/// error when the request carried no token at all.
fn challenge(status: StatusCode, error: Option<&OAuthError>) -> HttpResponse {
    let value = match error {
        None => "Bearer realm=\"porteiro\"".to_owned(),
        Some(e) => format!(
            "Bearer realm=\"porteiro\", error=\"{}\", error_description=\"{}\"",
            e.code.as_str(),
            e.description.replace(['"', '\\'], "")
        ),
    };
    let mut response = cors(HttpResponse::build(status));
    response.insert_header((header::WWW_AUTHENTICATE, value));
    match error {
        Some(e) => response.json(
            serde_json::json!({ "error": e.code.as_str(), "error_description": e.description }),
        ),
        None => response.finish(),
    }
}

/// Browser clients call userinfo from their own origin with a Bearer token
/// and no cookies, so any origin may read the answer.
fn cors(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_EXPOSE_HEADERS, "WWW-Authenticate"));
    builder
}

/// `OPTIONS /userinfo`: the CORS preflight.
pub async fn userinfo_preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}

/// A 500 in the shape of the endpoint's other errors; the cause was logged
/// where it happened.
fn server_error() -> HttpResponse {
    cors(HttpResponse::InternalServerError()).json(serde_json::json!({
        "error": "server_error",
        "error_description": "the server failed to answer; try again",
    }))
}
