//! `GET/POST /login`: the sign-in page, for a pending authorization request
//! or, without one, for the person's own account page: the password form
//! and a button per upstream. `finish_sign_in` is where every way of
//! signing in ends.

mod credentials;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::oidc::authorize::{expired_page, load_client, proceed, server_error_page};
use super::pages::{self, LoginPage, UpstreamButton};
use crate::audit::{self, Action, Actor};
use crate::i18n::Catalog;
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::flow::Progress;
use crate::oidc::session::{self, Device, NewSession};
use crate::oidc::{pending, throttle};
use crate::startup::AppState;
use crate::storage::models::session::Session;
use crate::storage::models::user::User;

use credentials::{check_password, locked_for, record_failure, throttle_keys};

/// What the CSRF token of an account sign-in is bound to.
const ACCOUNT_PURPOSE: &str = "account";

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub request: Option<String>,
    /// Where a sign-in without a pending request returns to.
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    request: Option<String>,
    csrf_token: Option<String>,
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

/// Where a sign-in leads.
pub(crate) enum SignInFor {
    Authorization {
        id: String,
        request: Box<AuthorizationRequest>,
    },
    /// One of Porteiro's own pages: the account page or the admin console.
    Page(ReturnTo),
}

/// A page of Porteiro's own to return to after signing in. Only paths under
/// `/account` and `/admin` are accepted, so `next` cannot send the person to
/// another site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

impl ReturnTo {
    pub fn parse(raw: Option<&str>) -> ReturnTo {
        let safe = |path: &str| {
            (path == "/account" || path == "/admin" || path.starts_with("/admin/"))
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c))
                && !path.contains("//")
        };
        match raw {
            Some(path) if safe(path) => ReturnTo(path.to_owned()),
            _ => ReturnTo("/account".to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SignInFor {
    /// The form's `request` value, and what its CSRF token is bound to.
    fn form_id(&self) -> &str {
        match self {
            SignInFor::Authorization { id, .. } => id,
            SignInFor::Page(_) => "",
        }
    }

    /// The form's `next` value.
    fn next(&self) -> &str {
        match self {
            SignInFor::Page(to) if to.as_str() != "/account" => to.as_str(),
            _ => "",
        }
    }

    fn csrf_purpose(&self) -> &str {
        match self {
            SignInFor::Authorization { id, .. } => id,
            SignInFor::Page(_) => ACCOUNT_PURPOSE,
        }
    }

    pub(crate) fn ui_locales(&self) -> Option<&str> {
        match self {
            SignInFor::Authorization { request, .. } => request.ui_locales.as_deref(),
            SignInFor::Page(_) => None,
        }
    }
}

/// The target a `request` value names: none is the account page; an unknown
/// or expired one is `None`.
pub(crate) async fn target(
    state: &AppState,
    request: Option<&str>,
    next: Option<&str>,
) -> Option<SignInFor> {
    match request.filter(|id| !id.is_empty()) {
        None => Some(SignInFor::Page(ReturnTo::parse(next))),
        Some(id) => {
            let (id, request) = pending_request(state, Some(id)).await?;
            Some(SignInFor::Authorization {
                id,
                request: Box::new(request),
            })
        }
    }
}

/// `GET /login?request=...`
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let Some(target) = target(&state, query.request.as_deref(), query.next.as_deref()).await else {
        return expired_page(&req, None);
    };
    let hint = match &target {
        SignInFor::Authorization { request, .. } => request.login_hint.clone().unwrap_or_default(),
        SignInFor::Page(_) => String::new(),
    };
    show(&req, &state, &target, &hint, None, StatusCode::OK).await
}

/// `POST /login`
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let Some(target) = target(&state, form.request.as_deref(), form.next.as_deref()).await else {
        return expired_page(&req, None);
    };
    let username = form.username.unwrap_or_default();
    let t = pages::catalog_for(&req, target.ui_locales());
    if !state.settings.login.password_form {
        return pages::error_page(
            StatusCode::FORBIDDEN,
            t,
            t.text("login.error.no_password_form"),
            pages::request_id(&req).as_deref(),
        );
    }

    let token = form.csrf_token.as_deref().unwrap_or_default();
    if !state
        .csrf
        .verify(&req, target.csrf_purpose(), token, state.secure_cookies())
    {
        return show(
            &req,
            &state,
            &target,
            &username,
            Some(t.text("login.error.csrf")),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let keys = throttle_keys(&req, &username);
    match locked_for(&state, &keys).await {
        Ok(Some(seconds)) => {
            let message = t.format("login.error.locked", &[("seconds", &seconds.to_string())]);
            return show(
                &req,
                &state,
                &target,
                &username,
                Some(&message),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
        Ok(None) => {}
        Err(error) => return server_error_page(&req, &error),
    }

    let password = SecretString::from(form.password.unwrap_or_default());
    let user = match check_password(&state, &username, password).await {
        Ok(user) => user,
        Err(error) => return server_error_page(&req, error.as_ref()),
    };
    let Some(user) = user else {
        let locked = match record_failure(&state, keys).await {
            Ok(locked) => locked,
            Err(error) => return server_error_page(&req, &error),
        };
        audit_failure(&req, &state, &username, locked).await;
        let message = t.text("login.error.invalid_credentials");
        return show(
            &req,
            &state,
            &target,
            &username,
            Some(message),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };

    let new = match start_session(&req, &state, &user, keys).await {
        Ok(new) => new,
        Err(response) => return response,
    };
    finish_sign_in(&req, &state, target, new).await
}

/// Continues to the pending request or the account page once a session is
/// stored, and hands the browser its session cookie.
pub(crate) async fn finish_sign_in(
    req: &HttpRequest,
    state: &AppState,
    target: SignInFor,
    new: NewSession,
) -> HttpResponse {
    let mut response = match target {
        SignInFor::Authorization { id, request } => {
            continue_authorization(req, state, id, *request, new.session.clone()).await
        }
        SignInFor::Page(to) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, to.as_str()))
            .finish(),
    };
    if let Err(error) = response.add_cookie(&session_cookie(state, new.cookie_value)) {
        tracing::error!(error = %error, "cannot set the session cookie");
    }
    response
}

/// Stores the new SSO session and clears the account's failure count.
async fn start_session(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    keys: Vec<throttle::ThrottleKey>,
) -> Result<NewSession, HttpResponse> {
    let new = session::start(
        &user.id,
        &["pwd"],
        device(req),
        state.clock.now(),
        state.settings.sessions.absolute_lifetime_secs,
    );

    let row = new.session.clone();
    let stored = state
        .db
        .run(move |conn| {
            // Only the account's count: one person signing in must not reset
            // the count of an address others share.
            keys.iter()
                .filter(|k| k.is_account())
                .try_for_each(|key| throttle::clear(conn, key))?;
            Session::insert(conn, &row)
        })
        .await;
    if let Err(error) = stored {
        return Err(server_error_page(req, &error));
    }
    let actor = Actor::user(&user.username, peer_address(req));
    let detail = serde_json::json!({ "amr": ["pwd"] });
    let (action, target) = (Action::SignInSucceeded, Some(user.username.as_str()));
    audit::record(&state.db, state.clock.now(), &actor, action, target, detail).await;
    Ok(new)
}

/// Where the browser signing in is, for the account page.
pub(crate) fn device(req: &HttpRequest) -> Device {
    Device {
        address: req.peer_addr().map(|peer| peer.ip().to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// A failed sign-in, and the lock-out it may have started. The username
/// tried is the target, cut short: people type passwords into it.
async fn audit_failure(req: &HttpRequest, state: &AppState, username: &str, locked: bool) {
    let tried: String = username.chars().take(64).collect();
    let actor = Actor::anonymous(peer_address(req));
    let now = state.clock.now();
    let detail = serde_json::json!({});
    audit::record(
        &state.db,
        now,
        &actor,
        Action::SignInFailed,
        Some(&tried),
        detail,
    )
    .await;
    if locked {
        let detail = serde_json::json!({ "reason": "too many failed attempts" });
        audit::record(
            &state.db,
            now,
            &actor,
            Action::SignInLockedOut,
            Some(&tried),
            detail,
        )
        .await;
    }
}

pub(crate) fn peer_address(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|peer| peer.ip().to_string())
}

/// Moves the pending request on, now that the person signed in.
async fn continue_authorization(
    req: &HttpRequest,
    state: &AppState,
    id: String,
    request: AuthorizationRequest,
    session: Session,
) -> HttpResponse {
    // The sign-in answers prompt=login and max_age; a later consent step
    // must not find them again.
    let request = request.signed_in();
    if let Err(error) = pending::save(&state.db, &id, &request).await {
        return server_error_page(req, &error);
    }

    let client = match load_client(state, Some(&request.client_id)).await {
        Ok(Some(client)) => client,
        Ok(None) => return expired_page(req, request.ui_locales.as_deref()),
        Err(error) => return server_error_page(req, &error),
    };
    proceed(
        req,
        state,
        &client,
        request,
        Some(id),
        Some(session),
        Progress {
            just_signed_in: true,
        },
    )
    .await
}

fn session_cookie(state: &AppState, value: String) -> actix_web::cookie::Cookie<'static> {
    let secure = state.secure_cookies();
    let max_age =
        actix_web::cookie::time::Duration::seconds(state.settings.sessions.absolute_lifetime_secs);
    actix_web::cookie::Cookie::build(session::cookie_name(secure), value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(max_age)
        .finish()
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    target: &SignInFor,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let t = pages::catalog_for(req, target.ui_locales());
    let client_name = match client_name(state, t, target).await {
        Ok(Some(name)) => name,
        Ok(None) => return expired_page(req, target.ui_locales()),
        Err(error) => return server_error_page(req, &error),
    };
    let (csrf_token, cookie) = state
        .csrf
        .issue(req, target.csrf_purpose(), state.secure_cookies());
    let request_id = pages::request_id(req);
    let page = LoginPage {
        t,
        authorization_request: target.form_id(),
        next: target.next(),
        csrf_token: &csrf_token,
        username,
        client_name: &client_name,
        error,
        request_id: request_id.as_deref(),
        password_form: state.settings.login.password_form,
        upstreams: upstream_buttons(state, t, target.form_id()),
    };
    let mut response = pages::render(status, &page);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// A "Continue with …" button per upstream, each starting an attempt for
/// this page's pending request.
fn upstream_buttons(state: &AppState, t: &Catalog, request: &str) -> Vec<UpstreamButton> {
    state
        .upstreams
        .all()
        .map(|upstream| {
            let mut href = format!("/upstream/{}/start", upstream.name());
            if !request.is_empty() {
                href.push_str("?request=");
                href.push_str(request);
            }
            UpstreamButton {
                href,
                label: t.format("login.continue_with", &[("upstream", upstream.label())]),
            }
        })
        .collect()
}

/// Who the person is signing in to: the client, or their account.
async fn client_name(
    state: &AppState,
    t: &Catalog,
    target: &SignInFor,
) -> Result<Option<String>, crate::storage::StorageError> {
    match target {
        SignInFor::Authorization { request, .. } => {
            Ok(load_client(state, Some(&request.client_id))
                .await?
                .map(|c| c.name))
        }
        SignInFor::Page(to) if to.as_str().starts_with("/admin") => {
            Ok(Some(t.text("admin.title").to_owned()))
        }
        SignInFor::Page(_) => Ok(Some(t.text("account.title").to_owned())),
    }
}

pub async fn pending_request(
    state: &AppState,
    id: Option<&str>,
) -> Option<(String, AuthorizationRequest)> {
    let id = id.filter(|id| !id.is_empty())?;
    match pending::load(&state.db, id, state.clock.now()).await {
        Ok(Some(request)) => Some((id.to_owned(), request)),
        Ok(None) => None,
        Err(error) => {
            tracing::error!(error = %error, "cannot load a pending authorization request");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ReturnTo;

    #[test]
    fn only_the_account_page_and_the_console_are_returned_to() {
        for path in ["/admin", "/admin/clients/new", "/account"] {
            assert_eq!(ReturnTo::parse(Some(path)).as_str(), path);
        }
        for path in [
            "//evil.example",
            "https://evil.example/admin",
            "/admin//x",
            "/admins",
            "/admin/a?b",
        ] {
            assert_eq!(ReturnTo::parse(Some(path)).as_str(), "/account", "{path}");
        }
        assert_eq!(ReturnTo::parse(None).as_str(), "/account");
    }
}
