//! `POST /token` (RFC 6749 section 3.2).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::oidc::client_auth::{self, ClientAuthError};
use crate::oidc::error::{ErrorCode, OAuthError};
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
    let request = match parse(&req, &body) {
        Ok(request) => request,
        Err(error) => return error_response(&error, false),
    };

    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let presented = client_auth::presented(
        authorization,
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    );
    let client = match presented {
        Ok(presented) => {
            client_auth::authenticate(&state.db, &state.client_secrets, presented).await
        }
        Err(error) => Err(error),
    };
    let client = match client {
        Ok(client) => client,
        Err(ClientAuthError { error, basic }) => return error_response(&error, basic),
    };
    tracing::Span::current().record("client_id", client.id.as_str());

    let ctx = GrantContext {
        db: &state.db,
        keys: &state.keys,
        client_secrets: &state.client_secrets,
        settings: &state.settings,
        now: state.clock.now(),
    };
    match grants::exchange(&ctx, &client, &request.form).await {
        Ok(response) => no_store(HttpResponse::Ok()).json(response),
        Err(error) => error_response(&error, false),
    }
}

/// The form body; each parameter at most once (RFC 6749 section 3.2).
fn parse(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let invalid = |description: &str| OAuthError::new(ErrorCode::InvalidRequest, description);
    let form_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return Err(invalid(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| invalid("the body is not form-encoded"))?;
    let mut fields = serde_json::Map::new();
    for (name, value) in pairs {
        if value.is_empty() {
            continue;
        }
        if fields.insert(name.clone(), value.into()).is_some() {
            return Err(invalid(&format!(
                "the parameter `{name}` is given more than once"
            )));
        }
    }
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|_| invalid("the parameters are malformed"))
}

/// RFC 6749 section 5.2: 400, or 401 for client authentication, with
/// `WWW-Authenticate` when the client used Basic.
fn error_response(error: &OAuthError, basic: bool) -> HttpResponse {
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

fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    builder
}
