//! `/admin/audit`: the audit log, newest first, filtered by actor, action
//! and a range of days (UTC).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, failure_page, format_time};
use crate::admin::AdminError;
use crate::audit::Action;
use crate::i18n::Catalog;
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;
use crate::storage::models::audit_event::{AuditEvent, AuditFilter};

/// The most events the page shows.
const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "admin/audit/list.html")]
struct AuditPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    filter: AuditQuery,
    actions: Vec<&'static str>,
    events: Vec<EventLine>,
}

struct EventLine {
    at: String,
    actor: String,
    action: String,
    target: String,
    address: String,
    detail: String,
}

/// The filter form's fields; dates are `YYYY-MM-DD`.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

/// `GET /admin/audit?actor=&action=&since=&until=`
pub async fn list_audit_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let filter = match filter_of(&query) {
        Ok(filter) => filter,
        Err(error) => return failure_page(&req, &error),
    };
    let rows = match state
        .db
        .run(move |conn| AuditEvent::search(conn, &filter, SHOWN))
        .await
    {
        Ok(rows) => rows,
        Err(error) => return failure_page(&req, &error.into()),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let page = AuditPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome: &chrome,
        filter: query,
        actions: Action::ALL.iter().map(|a| a.as_str()).collect(),
        events: rows.into_iter().map(line).collect(),
    };
    chrome.render(StatusCode::OK, &page)
}

fn filter_of(query: &AuditQuery) -> Result<AuditFilter, AdminError> {
    let action = Some(query.action.clone()).filter(|a| !a.is_empty());
    if let Some(name) = action.as_deref().filter(|a| Action::parse(a).is_none()) {
        return Err(AdminError::Invalid(format!("unknown action `{name}`")));
    }
    Ok(AuditFilter {
        actor: Some(query.actor.trim().to_owned()).filter(|a| !a.is_empty()),
        action,
        since: day(&query.since, "00:00:00")?,
        until: day(&query.until, "23:59:59")?,
    })
}

/// `YYYY-MM-DD` at `time` UTC, in Unix seconds.
fn day(date: &str, time: &str) -> Result<Option<i64>, AdminError> {
    let date = date.trim();
    if date.is_empty() {
        return Ok(None);
    }
    let at = humantime::parse_rfc3339_weak(&format!("{date} {time}"))
        .map_err(|_| AdminError::Invalid(format!("`{date}` is not a date (YYYY-MM-DD)")))?;
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| AdminError::Invalid(format!("`{date}` is before 1970")))?
        .as_secs();
    Ok(Some(i64::try_from(secs).unwrap_or(i64::MAX)))
}

fn line(event: AuditEvent) -> EventLine {
    EventLine {
        at: format_time(event.at),
        actor: event.actor,
        action: event.action,
        target: event.target.unwrap_or_default(),
        address: event.address.unwrap_or_default(),
        detail: event.detail,
    }
}
