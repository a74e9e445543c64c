//! `/upstream/{name}/...`: signing in through an upstream identity provider.
//! `start` seals the attempt into a cookie and sends the person to the
//! upstream; `callback` checks what comes back and ends the sign-in as a
//! password would; `signed-out` is where the upstream's end-session endpoint
//! returns the person to.

mod callback;
mod failure;
mod link;
mod logout;

use std::sync::Arc;

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

pub use callback::upstream_callback;
pub use link::change_upstreams;
pub(crate) use logout::end_session_upstream;
pub use logout::upstream_signed_out;

use super::login::{PageQuery, pending_request};
use super::oidc::authorize::expired_page;
use super::pages;
use crate::oidc::authorize::Prompt;
use crate::startup::AppState;
use crate::upstream::attempt::{self, Attempt, Purpose};
use crate::upstream::{AttemptSecrets, SignInHints, Upstream, callback_uri};
use failure::Failure;

/// `GET /upstream/{name}/start?request=...`
pub async fn start_upstream(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> HttpResponse {
    let Some(upstream) = state.upstreams.get(&name).cloned() else {
        return unknown_upstream(&req);
    };
    let query: PageQuery = match serde_urlencoded::from_str(req.query_string()) {
        Ok(query) => query,
        Err(_) => return expired_page(&req, None),
    };
    let request = query.request.as_deref().filter(|id| !id.is_empty());
    let hints = match request {
        None => SignInHints::default(),
        Some(id) => match pending_request(&state, Some(id)).await {
            Some((_, pending)) => SignInHints {
                fresh_login: pending.prompts(Prompt::Login),
                max_age: pending.max_age,
            },
            None => return expired_page(&req, None),
        },
    };

    let purpose = Purpose::SignIn {
        request: request.map(str::to_owned),
    };
    begin(&req, &state, &upstream, purpose, hints).await
}

/// Starts an attempt for `purpose`: fresh secrets sealed into the cookie,
/// and a redirect to the upstream's authorization endpoint.
pub(crate) async fn begin(
    req: &HttpRequest,
    state: &AppState,
    upstream: &Arc<dyn Upstream>,
    purpose: Purpose,
    hints: SignInHints,
) -> HttpResponse {
    let secrets = AttemptSecrets::generate();
    let redirect_uri = callback_uri(&state.settings.issuer, upstream.name());
    let url = match upstream
        .authorization_url(&secrets, &redirect_uri, &hints)
        .await
    {
        Ok(url) => url,
        Err(error) => {
            let failure = Failure::Upstream(error);
            return failure::respond(req, state, upstream.as_ref(), Some(&purpose), failure).await;
        }
    };

    let attempt = Attempt {
        upstream: upstream.name().to_owned(),
        secrets,
        purpose,
        expires_at: state.clock.now() + state.upstreams.attempt_lifetime_secs(),
    };
    tracing::info!(upstream = %upstream.name(), "sign-in at an upstream started");
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    let sealed = attempt.seal(state.upstreams.sealer());
    if let Err(error) = response.add_cookie(&attempt_cookie(state, sealed)) {
        tracing::error!(error = %error, "cannot set the upstream attempt cookie");
    }
    response
}

/// `Lax`, so the browser sends it on the upstream's top-level redirect back.
fn attempt_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let secure = state.secure_cookies();
    let max_age =
        actix_web::cookie::time::Duration::seconds(state.upstreams.attempt_lifetime_secs());
    Cookie::build(attempt::cookie_name(secure), value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(max_age)
        .finish()
}

fn attempt_removal(state: &AppState) -> Cookie<'static> {
    Cookie::build(attempt::cookie_name(state.secure_cookies()), "")
        .path("/")
        .finish()
}

fn unknown_upstream(req: &HttpRequest) -> HttpResponse {
    let t = pages::catalog_for(req, None);
    pages::error_page(
        StatusCode::NOT_FOUND,
        t,
        t.text("upstream.error.unknown_upstream"),
        pages::request_id(req).as_deref(),
    )
}
