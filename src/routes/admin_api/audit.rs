//! `/api/admin/v1/audit-events`: the audit log, newest first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ApiError, no_store};
use crate::audit::Action;
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;
use crate::storage::models::audit_event::{AuditEvent, AuditFilter};

/// The most events one answer holds.
const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    /// Unix seconds, inclusive.
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<i64>,
}

pub async fn list_audit_events(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if let Some(action) = query
        .action
        .as_deref()
        .filter(|a| Action::parse(a).is_none())
    {
        return Err(ApiError::InvalidRequest(format!(
            "unknown action `{action}`"
        )));
    }
    let filter = AuditFilter {
        actor: query.actor.filter(|a| !a.is_empty()),
        action: query.action,
        since: query.since,
        until: query.until,
    };
    let limit = query.limit.unwrap_or(200).clamp(1, MAX_LIMIT);

    let rows = state
        .db
        .run(move |conn| AuditEvent::search(conn, &filter, limit))
        .await?;
    let events: Vec<serde_json::Value> = rows.iter().map(event_json).collect();
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "events": events })))
}

fn event_json(event: &AuditEvent) -> serde_json::Value {
    let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap_or_default();
    serde_json::json!({
        "id": event.id,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "address": event.address,
        "detail": detail,
    })
}
