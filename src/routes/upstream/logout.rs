//! Ending a session at its upstream too (OpenID Connect RP-Initiated Logout
//! 1.0, with Porteiro as the relying party), when the operator enabled it
//! for that upstream: the person is sent to the upstream's end-session
//! endpoint with the upstream's ID token as the hint, and comes back to
//! `/upstream/{name}/signed-out`, whose `state` carries, sealed, where our
//! own logout was to lead.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::routes::logout::signed_out_page;
use crate::routes::pages;
use crate::startup::AppState;
use crate::storage::models::session::Session;
use crate::upstream::signed_out_uri;

#[derive(Deserialize)]
pub struct SignedOutQuery {
    state: Option<String>,
}

/// What the sealed upstream ID token of a session is bound to.
pub(super) fn id_token_kid(upstream: &str) -> String {
    format!("upstream-id-token/{upstream}")
}

fn return_kid(upstream: &str) -> String {
    format!("upstream-logout/{upstream}")
}

/// The upstream's end-session URL for a session that just ended, if its
/// upstream is set to be signed out of too; `continue_to` is the validated
/// post-logout redirect of our own logout.
pub(crate) async fn end_session_upstream(
    state: &AppState,
    session: &Session,
    continue_to: Option<&str>,
) -> Option<String> {
    let name = session.idp.as_deref()?;
    let upstream = state.upstreams.get(name)?;
    if !upstream.policy().end_upstream_session {
        return None;
    }

    let sealer = state.upstreams.sealer();
    let hint = session
        .upstream_id_token
        .as_deref()
        .and_then(|sealed| {
            sealer
                .open(&id_token_kid(name), sealer.key_id(), sealed)
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let back = sealer.seal(
        &return_kid(name),
        continue_to.unwrap_or_default().as_bytes(),
    );
    let back_to = signed_out_uri(&state.settings.issuer, name);
    match upstream
        .end_session_url(hint.as_deref(), &back_to, &back)
        .await
    {
        Ok(url) => url.map(|url| url.to_string()),
        Err(error) => {
            tracing::warn!(error = %error, upstream = %name, "cannot end the session upstream");
            None
        }
    }
}

/// `GET /upstream/{name}/signed-out?state=...`: on to where our logout was
/// to lead, or the signed-out page.
pub async fn upstream_signed_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<SignedOutQuery>,
) -> HttpResponse {
    let sealer = state.upstreams.sealer();
    let continue_to = query
        .state
        .as_deref()
        .and_then(|sealed| {
            sealer
                .open(&return_kid(&name), sealer.key_id(), sealed)
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|uri| !uri.is_empty());

    match continue_to {
        Some(uri) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, uri))
            .finish(),
        None => signed_out_page(&req, pages::catalog_for(&req, None), &[], None),
    }
}
