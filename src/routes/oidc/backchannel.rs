//! What the client-authenticated endpoints (`/token`, `/revoke`,
//! `/introspect`) share: the form body, client authentication, and RFC 6749
//! section 5.2 error responses.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::de::DeserializeOwned;

use crate::oidc::client_auth::{self, ClientAuthError};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::startup::AppState;
use crate::storage::models::client::Client;

/// The `application/x-www-form-urlencoded` body; each parameter at most once
/// (RFC 6749 section 3.2), empty ones treated as absent.
pub fn parse_form<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, OAuthError> {
    let invalid = |description: &str| OAuthError::new(ErrorCode::InvalidRequest, description);
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(invalid(
            "the body must be application/x-www-form-urlencoded",
        ));
    }

    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| invalid("the body is not form-encoded"))?;
    let mut fields = serde_json::Map::new();
    for (name, value) in pairs.into_iter().filter(|(_, value)| !value.is_empty()) {
        if fields.insert(name.clone(), value.into()).is_some() {
            return Err(invalid(&format!(
                "the parameter `{name}` is given more than once"
            )));
        }
    }
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|_| invalid("the parameters are malformed"))
}

/// The client the request authenticates as, or the error response to send.
pub async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<Client, HttpResponse> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let outcome = match client_auth::presented(authorization, client_id, client_secret) {
        Ok(presented) => {
            client_auth::authenticate(&state.client_cache, &state.client_secrets, presented).await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(client) => {
            tracing::Span::current().record("client_id", client.id.as_str());
            Ok(client)
        }
        Err(ClientAuthError { error, basic }) => Err(error_response(&error, basic)),
    }
}

/// 400, or 401 for client authentication with `WWW-Authenticate` when the
/// client used Basic.
pub fn error_response(error: &OAuthError, basic: bool) -> HttpResponse {
    let status = match error.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = no_store(HttpResponse::build(status));
    if basic && error.code == ErrorCode::InvalidClient {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"porteiro\""));
    }
    response.json(
        serde_json::json!({ "error": error.code.as_str(), "error_description": error.description }),
    )
}

/// Responses that carry tokens or their state must not be cached.
pub fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    builder
}
