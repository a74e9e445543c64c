//! `POST /account/upstreams`: a signed-in person links an upstream account
//! to theirs (by signing in there) or removes one, never the last way they
//! have to sign in.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::begin;
use crate::audit::{self, Action, Actor};
use crate::routes::account::CSRF_PURPOSE;
use crate::routes::login::peer_address;
use crate::routes::oidc::authorize::{server_error_page, signed_in};
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::user::User;
use crate::upstream::SignInHints;
use crate::upstream::attempt::Purpose;
use crate::upstream::linking::{self, LinkingError};

#[derive(Deserialize)]
pub struct UpstreamsForm {
    csrf_token: Option<String>,
    action: Option<String>,
    /// The upstream to link.
    upstream: Option<String>,
    /// The identity to remove.
    identity: Option<String>,
}

/// `POST /account/upstreams` with `action=link` or `action=unlink`.
pub async fn change_upstreams(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<UpstreamsForm>,
) -> HttpResponse {
    let current = match signed_in(&req, &state).await {
        Ok(Some(session)) => session,
        Ok(None) => return to_account(None),
        Err(error) => return server_error_page(&req, &error),
    };
    let token = form.csrf_token.as_deref().unwrap_or_default();
    if !state
        .csrf
        .verify(&req, CSRF_PURPOSE, token, state.secure_cookies())
    {
        return to_account(None);
    }

    match form.action.as_deref() {
        Some("link") => {
            let name = form.upstream.as_deref().unwrap_or_default();
            let Some(upstream) = state.upstreams.get(name).cloned() else {
                return to_account(None);
            };
            let purpose = Purpose::Link {
                user_id: current.user_id,
            };
            begin(&req, &state, &upstream, purpose, SignInHints::default()).await
        }
        Some("unlink") => {
            let identity = form.identity.clone().unwrap_or_default();
            unlink(&req, &state, current.user_id, identity).await
        }
        _ => to_account(None),
    }
}

async fn unlink(
    req: &HttpRequest,
    state: &AppState,
    user_id: String,
    identity: String,
) -> HttpResponse {
    let removed = state
        .db
        .run(move |conn| {
            let user = User::find(conn, &user_id)?;
            let removed = linking::unlink(conn, &user, &identity)?;
            Ok::<_, LinkingError>((user.username, removed.upstream))
        })
        .await;
    match removed {
        Ok((username, upstream)) => {
            let actor = Actor::user(&username, peer_address(req));
            let detail = serde_json::json!({ "upstream": upstream });
            let (now, action) = (state.clock.now(), Action::UserIdentityUnlinked);
            audit::record(&state.db, now, &actor, action, Some(&username), detail).await;
            to_account(None)
        }
        Err(LinkingError::LastSignInMethod) => to_account(Some("last_method")),
        Err(LinkingError::Storage(StorageError::NotFound)) => to_account(None),
        Err(error) => server_error_page(req, &error),
    }
}

/// Back to the account page, with the name of an error to show.
fn to_account(error: Option<&str>) -> HttpResponse {
    let location = match error {
        Some(error) => format!("/account?error={error}"),
        None => "/account".to_owned(),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
