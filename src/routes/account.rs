//! `/account`: a signed-in person's own SSO sessions (device, address, last
//! use, clients), each of which they can end, with the same logout every
//! relying party hears of.

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::oidc::authorize::{server_error_page, signed_in};
use super::pages;
use crate::i18n::Catalog;
use crate::oidc::logout::Logout;
use crate::oidc::session;
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::client::Client;
use crate::storage::models::session::{Session, SessionClient};
use crate::storage::models::user::User;

/// What the page's CSRF tokens are bound to.
const CSRF_PURPOSE: &str = "account";

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage<'a> {
    t: &'a Catalog,
    signed_in_as: String,
    sessions: Vec<SessionLine>,
    csrf_token: &'a str,
    request_id: Option<&'a str>,
}

/// One session as the page shows it.
struct SessionLine {
    id: String,
    device: String,
    address: String,
    last_used: String,
    clients: String,
    current: bool,
}

#[derive(Deserialize)]
pub struct EndSessionForm {
    csrf_token: Option<String>,
    session: Option<String>,
}

/// `GET /account`
pub async fn show_account(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let current = match signed_in(&req, &state).await {
        Ok(Some(session)) => session,
        Ok(None) => return to_sign_in(),
        Err(error) => return server_error_page(&req, &error),
    };
    let t = pages::catalog_for(&req, None);
    let (user, sessions) = match load(&state, &current, t).await {
        Ok(loaded) => loaded,
        Err(error) => return server_error_page(&req, &error),
    };

    let (csrf_token, cookie) = state.csrf.issue(&req, CSRF_PURPOSE, state.secure_cookies());
    let request_id = pages::request_id(&req);
    let page = SessionsPage {
        t,
        signed_in_as: t.format("consent.signed_in_as", &[("username", &user.username)]),
        sessions,
        csrf_token: &csrf_token,
        request_id: request_id.as_deref(),
    };
    let mut response = pages::render(StatusCode::OK, &page);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// `POST /account/sessions`: ends one of the person's sessions, or all.
pub async fn end_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<EndSessionForm>,
) -> HttpResponse {
    let current = match signed_in(&req, &state).await {
        Ok(Some(session)) => session,
        Ok(None) => return to_sign_in(),
        Err(error) => return server_error_page(&req, &error),
    };
    let token = form.csrf_token.as_deref().unwrap_or_default();
    if !state
        .csrf
        .verify(&req, CSRF_PURPOSE, token, state.secure_cookies())
    {
        return back_to_account();
    }

    let chosen = form.session.as_deref().unwrap_or_default();
    let ended_current = match end(&state, &current, chosen).await {
        Ok(ended_current) => ended_current,
        Err(error) => return server_error_page(&req, &error),
    };
    let mut response = back_to_account();
    if ended_current {
        let removal = Cookie::build(session::cookie_name(state.secure_cookies()), "")
            .path("/")
            .finish();
        let _ = response.add_removal_cookie(&removal);
    }
    response
}

/// Ends `chosen` (an id shown on the page, or `all`) among the person's
/// own sessions; returns whether the current one ended.
async fn end(state: &AppState, current: &Session, chosen: &str) -> Result<bool, StorageError> {
    let (user_id, now, idle) = (
        current.user_id.clone(),
        state.clock.now(),
        state.settings.sessions.idle_lifetime_secs,
    );
    let sessions = state
        .db
        .run(move |conn| Session::live_of_user(conn, &user_id, now, idle))
        .await?;
    let logout = Logout {
        db: &state.db,
        keys: &state.keys,
        deny_list: &state.deny_list,
        issuer: &state.settings.issuer,
        now,
        actor: None,
    };

    let mut ended_current = false;
    for session in sessions
        .iter()
        .filter(|s| chosen == "all" || public_id(s) == chosen)
    {
        // Front-channel frames need a page the person stays on; the
        // back-channel deliveries and revocations happen regardless.
        logout.end(session).await?;
        ended_current |= session.id_hash == current.id_hash;
    }
    Ok(ended_current)
}

/// How a session is named in the page: a prefix of the hash of its cookie,
/// which reveals nothing of the cookie itself.
fn public_id(session: &Session) -> &str {
    &session.id_hash[..24.min(session.id_hash.len())]
}

async fn load(
    state: &AppState,
    current: &Session,
    t: &Catalog,
) -> Result<(User, Vec<SessionLine>), StorageError> {
    let (user_id, now, idle) = (
        current.user_id.clone(),
        state.clock.now(),
        state.settings.sessions.idle_lifetime_secs,
    );
    let (user, rows) = state
        .db
        .run(move |conn| {
            let user = User::find(conn, &user_id)?;
            let mut rows = Vec::new();
            for session in Session::live_of_user(conn, &user_id, now, idle)? {
                let names = client_names(conn, &session.id_hash)?;
                rows.push((session, names));
            }
            Ok::<_, StorageError>((user, rows))
        })
        .await?;

    let lines = rows
        .into_iter()
        .map(|(session, clients)| line(t, &session, clients, current))
        .collect();
    Ok((user, lines))
}

fn client_names(
    conn: &mut crate::storage::DbConnection,
    id_hash: &str,
) -> Result<Vec<String>, StorageError> {
    let mut names = Vec::new();
    for link in SessionClient::of_session(conn, id_hash)? {
        if let Ok(client) = Client::find(conn, &link.client_id) {
            names.push(client.name);
        }
    }
    Ok(names)
}

fn line(t: &Catalog, session: &Session, clients: Vec<String>, current: &Session) -> SessionLine {
    let unknown = || t.text("account.unknown").to_owned();
    SessionLine {
        id: public_id(session).to_owned(),
        device: session.user_agent.clone().unwrap_or_else(unknown),
        address: session.client_address.clone().unwrap_or_else(unknown),
        last_used: format_time(session.last_used_at),
        clients: clients.join(", "),
        current: session.id_hash == current.id_hash,
    }
}

fn format_time(unix_secs: i64) -> String {
    let secs = u64::try_from(unix_secs).unwrap_or_default();
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

fn to_sign_in() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .finish()
}

fn back_to_account() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/account"))
        .finish()
}
