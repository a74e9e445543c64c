//! The admin API's one error shape, and the only place its failures become
//! responses:
//!
//! ```json
//! { "error": "invalid_request", "error_description": "...",
//!   "fields": [{ "field": "redirect_uris", "message": "..." }] }
//! ```
//!
//! `fields` appears only when input fields were refused. Token problems
//! also carry `WWW-Authenticate: Bearer` (RFC 6750 section 3).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use super::AdminScope;
use crate::admin::AdminError;
use crate::clients::{ClientError, FieldError};
use crate::storage::StorageError;
use crate::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request carries no Bearer token")]
    MissingToken,
    #[error("{0}")]
    InvalidToken(String),
    #[error("this endpoint needs the scope {}", .0.as_str())]
    InsufficientScope(AdminScope),
    #[error("the token's user does not hold the admin role")]
    NotAdmin,
    #[error("{0}")]
    InvalidRequest(String),
    #[error("some fields are invalid")]
    InvalidFields(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
    #[error("the server failed")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::MissingToken | ApiError::InvalidToken(_) => "invalid_token",
            ApiError::InsufficientScope(_) => "insufficient_scope",
            ApiError::NotAdmin => "access_denied",
            ApiError::InvalidRequest(_) | ApiError::InvalidFields(_) => "invalid_request",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Internal(_) => "server_error",
        }
    }

    /// The `WWW-Authenticate` challenge, for the errors that are about the
    /// token; a request without one gets a challenge without an error.
    fn challenge(&self) -> Option<String> {
        let realm = "Bearer realm=\"porteiro-admin\"";
        match self {
            ApiError::MissingToken => Some(realm.to_owned()),
            ApiError::InvalidToken(_) => Some(format!("{realm}, error=\"invalid_token\"")),
            ApiError::InsufficientScope(scope) => Some(format!(
                "{realm}, error=\"insufficient_scope\", scope=\"{}\"",
                scope.as_str()
            )),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MissingToken | ApiError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientScope(_) | ApiError::NotAdmin => StatusCode::FORBIDDEN,
            ApiError::InvalidRequest(_) | ApiError::InvalidFields(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let description = match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "an admin API request failed");
                "the server failed; quote the request id when reporting it".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "error": self.code(), "error_description": description });
        if let ApiError::InvalidFields(fields) = self {
            body["fields"] = fields
                .iter()
                .map(|f| json!({ "field": f.field, "message": f.to_string() }))
                .collect();
        }

        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(challenge) = self.challenge() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.json(body)
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::NotFound(m) => ApiError::NotFound(m),
            AdminError::Invalid(m) => ApiError::InvalidRequest(m),
            AdminError::Fields(fields) => ApiError::InvalidFields(fields),
            AdminError::Conflict(m) => ApiError::Conflict(m),
            AdminError::Failed(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        AdminError::from(error).into()
    }
}

impl From<ClientError> for ApiError {
    fn from(error: ClientError) -> Self {
        AdminError::from(error).into()
    }
}

impl From<UserError> for ApiError {
    fn from(error: UserError) -> Self {
        AdminError::from(error).into()
    }
}

/// The answer of a resource to a method it does not take.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// The answer under the API's path where no endpoint is.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such endpoint".to_owned()))
}
