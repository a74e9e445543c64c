//! The web boundary's error type: every failure a handler cannot answer
//! itself becomes one of these, and this is the only place that turns them
//! into responses. Causes are logged here, once; clients see a generic
//! message and the request id.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            WebError::NotFound => serde_json::json!({
                "error": "not_found",
                "error_description": "no such endpoint",
            }),
            WebError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                serde_json::json!({
                    "error": "server_error",
                    "error_description": "the server failed; quote the request id when reporting it",
                })
            }
        };
        HttpResponse::build(self.status_code()).json(body)
    }
}

/// The fallback for paths no route matches.
pub async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
