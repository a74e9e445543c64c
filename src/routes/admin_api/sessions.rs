//! `/api/admin/v1/sessions`: live SSO sessions, and ending them with the
//! normal logout. Front-channel logout needs a browser to load its frames,
//! which an API call has not; back-channel logout and every revocation
//! happen all the same.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ApiError, context, no_store};
use crate::admin::sessions;
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
pub struct SessionQuery {
    user_id: Option<String>,
}

pub async fn list_sessions(
    _caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<SessionQuery>,
) -> Result<HttpResponse, ApiError> {
    let found = sessions::list(&state, query.user_id.as_deref()).await?;
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "sessions": found })))
}

pub async fn end_session(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, caller);

    sessions::end_one(&ctx, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn end_user_sessions(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, caller);

    let (ended, _) = sessions::end_all_of_user(&ctx, &path).await?;
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "ended": ended })))
}
