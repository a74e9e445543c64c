//! `GET/POST /login`: the password sign-in page of a pending authorization
//! request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::oidc::authorize::{expired_page, load_client, proceed, server_error_page};
use super::pages::{self, LoginPage};
use crate::domain::Username;
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::flow::Progress;
use crate::oidc::throttle::{self, ThrottleKey};
use crate::oidc::{pending, session};
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::session::Session;
use crate::storage::models::user::User;

/// Verified in place of a missing user's hash, so an unknown username costs
/// the same time as a wrong password. Its password is unknown and unused.
const DUMMY_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$EqvZpQksBN7J8gynWuEfWQ$fgI9Sfo0jEdWHFJJdUVkr9lnvmNGu1VeouyFHMRu4xE";

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub request: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    request: Option<String>,
    csrf_token: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// `GET /login?request=...`
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let Some((id, request)) = pending_request(&state, query.request.as_deref()).await else {
        return expired_page(&req, None);
    };
    let hint = request.login_hint.clone().unwrap_or_default();
    show(&req, &state, &id, &request, &hint, None, StatusCode::OK).await
}

/// `POST /login`
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let Some((id, request)) = pending_request(&state, form.request.as_deref()).await else {
        return expired_page(&req, None);
    };
    let username = form.username.unwrap_or_default();
    let t = pages::catalog_for(&req, request.ui_locales.as_deref());

    let csrf_ok = state.csrf.verify(
        &req,
        &id,
        form.csrf_token.as_deref().unwrap_or_default(),
        state.secure_cookies(),
    );
    if !csrf_ok {
        return show(
            &req,
            &state,
            &id,
            &request,
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
                &id,
                &request,
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
        if let Err(error) = record_failure(&state, keys).await {
            return server_error_page(&req, &error);
        }
        tracing::info!(target: "audit", "sign-in failed");
        let message = t.text("login.error.invalid_credentials");
        return show(
            &req,
            &state,
            &id,
            &request,
            &username,
            Some(message),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };

    signed_in(&req, &state, id, request, &user, keys).await
}

/// Starts the SSO session, sets its cookie, and moves the request on.
async fn signed_in(
    req: &HttpRequest,
    state: &AppState,
    id: String,
    request: AuthorizationRequest,
    user: &User,
    keys: Vec<ThrottleKey>,
) -> HttpResponse {
    let now = state.clock.now();
    let new = session::start(
        &user.id,
        &["pwd"],
        now,
        state.settings.sessions.absolute_lifetime_secs,
    );
    let row = new.session.clone();
    let stored = state
        .db
        .run(move |conn| {
            // Only the account's count: one person signing in must not
            // reset the count of an address others share.
            keys.iter()
                .filter(|k| k.is_account())
                .try_for_each(|key| throttle::clear(conn, key))?;
            Session::insert(conn, &row)
        })
        .await;
    if let Err(error) = stored {
        return server_error_page(req, &error);
    }
    tracing::info!(target: "audit", user_id = %user.id, "signed in with a password");

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
    let mut response = proceed(
        req,
        state,
        &client,
        request,
        Some(id),
        Some(new.session),
        Progress {
            just_signed_in: true,
        },
    )
    .await;
    let cookie = session_cookie(state, new.cookie_value);
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(error = %error, "cannot set the session cookie");
    }
    response
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
    id: &str,
    request: &AuthorizationRequest,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let client_name = match load_client(state, Some(&request.client_id)).await {
        Ok(Some(client)) => client.name,
        Ok(None) => return expired_page(req, request.ui_locales.as_deref()),
        Err(e) => return server_error_page(req, &e),
    };
    let (csrf_token, cookie) = state.csrf.issue(req, id, state.secure_cookies());
    let request_id = pages::request_id(req);
    let page = LoginPage {
        t: pages::catalog_for(req, request.ui_locales.as_deref()),
        authorization_request: id,
        csrf_token: &csrf_token,
        username,
        client_name: &client_name,
        error,
        request_id: request_id.as_deref(),
    };
    let mut response = pages::render(status, &page);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
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

/// The account and the client address, each counted separately. The peer
/// address is used, not forwarding headers a client could forge.
fn throttle_keys(req: &HttpRequest, username: &str) -> Vec<ThrottleKey> {
    // PostgreSQL cannot store NUL, which no valid username has anyway.
    let account = Username::parse(username)
        .map(|u| u.key())
        .unwrap_or_else(|_| username.to_lowercase().replace('\0', "\u{fffd}"));
    let mut keys = vec![ThrottleKey::account(&account)];
    if let Some(peer) = req.peer_addr() {
        keys.push(ThrottleKey::address(&peer.ip().to_string()));
    }
    keys
}

async fn locked_for(state: &AppState, keys: &[ThrottleKey]) -> Result<Option<i64>, StorageError> {
    let (keys, now) = (keys.to_vec(), state.clock.now());
    state
        .db
        .run(move |conn| {
            let mut longest = None;
            for key in &keys {
                longest = longest.max(throttle::locked_for(conn, key, now)?);
            }
            Ok::<_, StorageError>(longest)
        })
        .await
}

async fn record_failure(state: &AppState, keys: Vec<ThrottleKey>) -> Result<(), StorageError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            keys.iter()
                .try_for_each(|key| throttle::record_failure(conn, key, now))
        })
        .await
}

/// The user when `password` is theirs and they may sign in. Unknown users
/// verify against a dummy hash, so every failure takes the same time.
async fn check_password(
    state: &AppState,
    username: &str,
    password: SecretString,
) -> Result<Option<User>, Box<dyn std::error::Error + Send + Sync>> {
    let user = match Username::parse(username) {
        Ok(name) => {
            let key = name.key();
            match state
                .db
                .run(move |conn| User::find_by_username_key(conn, &key))
                .await
            {
                Ok(user) => Some(user),
                Err(StorageError::NotFound) => None,
                Err(other) => return Err(other.into()),
            }
        }
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_PASSWORD_HASH.to_owned());

    let matches = state.passwords.verify(password, hash).await?;
    Ok(user.filter(|u| matches && !u.disabled))
}
