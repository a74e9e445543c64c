//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::startup::AppState;

/// How long readiness waits for a database connection before saying no.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz`: the process is up and serving.
pub async fn show_health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers; 503 until it does.
pub async fn show_readiness(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping(READY_TIMEOUT).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(error) => {
            tracing::warn!(error = %error, "not ready: the database does not answer");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "status": "unavailable",
                "reason": "the database does not answer",
            }))
        }
    }
}
