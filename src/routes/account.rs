//! `/account`: a signed-in person's own SSO sessions (device, address, last
//! use, clients), each of which they can end, with the same logout every
//! relying party hears of; and their ways to sign in: the password, and the
//! upstream accounts they link and remove (`routes::upstream`).

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::logout::signed_out_page;
use super::oidc::authorize::{server_error_page, signed_in};
use super::pages;
use crate::i18n::Catalog;
use crate::oidc::logout::{FrontChannelFrame, Logout};
use crate::oidc::session;
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::client::Client;
use crate::storage::models::session::{Session, SessionClient};
use crate::storage::models::upstream_identity::UpstreamIdentity;
use crate::storage::models::user::User;
use crate::upstream::linking;

/// What the page's CSRF tokens are bound to.
pub(crate) const CSRF_PURPOSE: &str = "account";

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage<'a> {
    t: &'a Catalog,
    signed_in_as: String,
    sessions: Vec<SessionLine>,
    has_password: bool,
    methods: Vec<UpstreamLine>,
    /// An already translated message, shown at the top.
    error: Option<&'a str>,
    csrf_token: &'a str,
    request_id: Option<&'a str>,
}

/// An upstream on the page, with the person's accounts there.
struct UpstreamLine {
    name: String,
    label: String,
    linked: Vec<LinkedAccount>,
}

struct LinkedAccount {
    id: String,
    /// The address the upstream gave, or its subject.
    shown_as: String,
    /// Whether removing it leaves a way to sign in.
    removable: bool,
}

#[derive(Default, Deserialize)]
pub struct AccountQuery {
    error: Option<String>,
}

/// One session as the page shows it.
struct SessionLine {
    id: String,
    device: String,
    address: String,
    last_used: String,
    clients: String,
    /// "Signed in through …", for a session that came from an upstream.
    via: Option<String>,
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
    let (user, sessions, identities) = match load(&state, &current, t).await {
        Ok(loaded) => loaded,
        Err(error) => return server_error_page(&req, &error),
    };
    let query: AccountQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let error = match query.error.as_deref() {
        Some("last_method") => Some(t.text("account.error.last_method")),
        _ => None,
    };

    let (csrf_token, cookie) = state.csrf.issue(&req, CSRF_PURPOSE, state.secure_cookies());
    let request_id = pages::request_id(&req);
    let page = SessionsPage {
        t,
        signed_in_as: t.format("consent.signed_in_as", &[("username", &user.username)]),
        sessions,
        has_password: user.password_hash.is_some(),
        methods: upstream_lines(&state, &user, identities),
        error,
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
    let (ended_current, frames) = match end(&state, &current, chosen).await {
        Ok(ended) => ended,
        Err(error) => return server_error_page(&req, &error),
    };
    // Front-channel logout needs a page that loads the relying parties'
    // frames; without any, straight back to the list.
    let mut response = match frames.is_empty() {
        true => back_to_account(),
        false => {
            let t = pages::catalog_for(&req, None);
            signed_out_page(&req, t, &frames, Some("/account".to_owned()))
        }
    };
    if ended_current {
        let removal = Cookie::build(session::cookie_name(state.secure_cookies()), "")
            .path("/")
            .finish();
        let _ = response.add_removal_cookie(&removal);
    }
    response
}

/// Ends `chosen` (an id shown on the page, or `all`) among the person's
/// own sessions; returns whether the current one ended, and the
/// front-channel frames of every session that did.
async fn end(
    state: &AppState,
    current: &Session,
    chosen: &str,
) -> Result<(bool, Vec<FrontChannelFrame>), StorageError> {
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

    let (mut ended_current, mut frames) = (false, Vec::new());
    for session in sessions
        .iter()
        .filter(|s| chosen == "all" || public_id(s) == chosen)
    {
        frames.extend(logout.end(session).await?);
        ended_current |= session.id_hash == current.id_hash;
    }
    Ok((ended_current, frames))
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
) -> Result<(User, Vec<SessionLine>, Vec<UpstreamIdentity>), StorageError> {
    let (user_id, now, idle) = (
        current.user_id.clone(),
        state.clock.now(),
        state.settings.sessions.idle_lifetime_secs,
    );
    let (user, rows, identities) = state
        .db
        .run(move |conn| {
            let user = User::find(conn, &user_id)?;
            let mut rows = Vec::new();
            for session in Session::live_of_user(conn, &user_id, now, idle)? {
                let names = client_names(conn, &session.id_hash)?;
                rows.push((session, names));
            }
            let identities = UpstreamIdentity::of_user(conn, &user_id)?;
            Ok::<_, StorageError>((user, rows, identities))
        })
        .await?;

    let lines = rows
        .into_iter()
        .map(|(session, clients)| line(state, t, &session, clients, current))
        .collect();
    Ok((user, lines, identities))
}

/// Every configured upstream with the person's accounts there; identities
/// of upstreams no longer configured are not shown.
fn upstream_lines(
    state: &AppState,
    user: &User,
    identities: Vec<UpstreamIdentity>,
) -> Vec<UpstreamLine> {
    let removable = linking::can_remove_one(user.password_hash.is_some(), identities.len());
    state
        .upstreams
        .all()
        .map(|upstream| UpstreamLine {
            name: upstream.name().to_owned(),
            label: upstream.label().to_owned(),
            linked: identities
                .iter()
                .filter(|i| i.upstream == upstream.name())
                .map(|i| LinkedAccount {
                    id: i.id.clone(),
                    shown_as: i.email.clone().unwrap_or_else(|| i.subject.clone()),
                    removable,
                })
                .collect(),
        })
        .collect()
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

fn line(
    state: &AppState,
    t: &Catalog,
    session: &Session,
    clients: Vec<String>,
    current: &Session,
) -> SessionLine {
    let unknown = || t.text("account.unknown").to_owned();
    // An upstream removed from the configuration is shown by its name.
    let via = session.idp.as_deref().map(|name| {
        let label = state.upstreams.get(name).map_or(name, |u| u.label());
        t.format("account.via", &[("upstream", label)])
    });
    SessionLine {
        via,
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
