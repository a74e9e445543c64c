//! The upstream identities on a user's console page, and their Remove
//! button: `POST /admin/users/{user_id}/identities/{identity_id}/remove`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{AdminForm, Chrome, context, failure_page, format_time, see_other};
use crate::admin::{AdminError, identities};
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;
use crate::storage::models::upstream_identity::UpstreamIdentity;

/// One identity as the user's page shows it.
pub(super) struct IdentityLine {
    pub id: String,
    /// The upstream's label, or its name once it is no longer configured.
    pub upstream: String,
    pub subject: String,
    pub email: String,
    pub linked: String,
    pub last_used: String,
}

impl IdentityLine {
    pub fn new(state: &AppState, identity: &UpstreamIdentity) -> IdentityLine {
        let upstream = state
            .upstreams
            .get(&identity.upstream)
            .map_or(identity.upstream.as_str(), |u| u.label());
        IdentityLine {
            id: identity.id.clone(),
            upstream: upstream.to_owned(),
            subject: identity.subject.clone(),
            email: identity.email.clone().unwrap_or_default(),
            linked: format_time(identity.created_at),
            last_used: format_time(identity.last_used_at),
        }
    }
}

/// `POST /admin/users/{user_id}/identities/{identity_id}/remove`
pub async fn unlink_user_identity(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
    _form: AdminForm,
) -> HttpResponse {
    let (user_id, identity_id) = path.into_inner();
    let ctx = context(&state, &admin);

    match identities::unlink(&ctx, &user_id, &identity_id).await {
        Ok(()) => see_other(&format!("/users/{user_id}"), "identity_removed"),
        // The English words of the error are for the API; a person reads
        // the catalogue's.
        Err(AdminError::Conflict(_)) => {
            let chrome = Chrome::new(&req, &state, &admin);
            let alert = chrome.t.text("admin.users.identity_last_method").to_owned();
            super::users::show(&req, &chrome, &state, &admin, &user_id, Some(alert)).await
        }
        Err(error) => failure_page(&req, &error),
    }
}
