//! `/api/admin/v1/users/{user_id}/identities`: the upstream accounts linked
//! to a user, and removing one (see `admin::identities` for the rule that
//! keeps a way to sign in).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{ApiError, context, no_store};
use crate::admin::identities;
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;
use crate::storage::models::upstream_identity::UpstreamIdentity;

/// An identity as the API shows one.
#[derive(Serialize)]
pub struct IdentityView {
    id: String,
    /// The upstream's name in the configuration.
    upstream: String,
    /// Its label, while it is still configured.
    upstream_label: Option<String>,
    subject: String,
    email: Option<String>,
    linked_at: i64,
    last_used_at: i64,
}

impl IdentityView {
    fn new(state: &AppState, identity: UpstreamIdentity) -> IdentityView {
        let upstream_label = state
            .upstreams
            .get(&identity.upstream)
            .map(|u| u.label().to_owned());
        IdentityView {
            id: identity.id,
            upstream: identity.upstream,
            upstream_label,
            subject: identity.subject,
            email: identity.email,
            linked_at: identity.created_at,
            last_used_at: identity.last_used_at,
        }
    }
}

pub async fn list_user_identities(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, caller);

    let (_, found) = identities::of_user(&ctx, &path).await?;
    let views: Vec<IdentityView> = found
        .into_iter()
        .map(|i| IdentityView::new(&state, i))
        .collect();
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "identities": views })))
}

pub async fn unlink_user_identity(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, identity_id) = path.into_inner();
    let ctx = context(&state, caller);

    identities::unlink(&ctx, &user_id, &identity_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
