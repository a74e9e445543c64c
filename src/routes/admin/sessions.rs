//! `/admin/sessions`: live SSO sessions, all or one user's, and ending them
//! with the normal logout. The page after an ending loads each client's
//! front-channel logout URI in a hidden frame, as the sign-out page does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{AdminForm, Chrome, context, failure_page, format_time};
use crate::admin::AdminError;
use crate::admin::sessions::{self, SessionView};
use crate::i18n::Catalog;
use crate::middleware::admin_guard::AdminUser;
use crate::oidc::logout::FrontChannelFrame;
use crate::routes::pages;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "admin/sessions/list.html")]
struct SessionListPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    /// The user the list is limited to.
    user_id: Option<String>,
    sessions: Vec<SessionLine>,
}

struct SessionLine {
    id: String,
    user_id: String,
    username: String,
    clients: String,
    address: String,
    device: String,
    last_used: String,
}

impl SessionLine {
    fn new(t: &Catalog, view: SessionView) -> SessionLine {
        let unknown = || t.text("account.unknown").to_owned();
        SessionLine {
            id: view.id,
            user_id: view.user_id,
            username: view.username,
            clients: view.clients.join(", "),
            address: view.address.unwrap_or_else(unknown),
            device: view.user_agent.unwrap_or_else(unknown),
            last_used: format_time(view.last_used_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/sessions/ended.html")]
struct SessionsEndedPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    heading: &'a str,
    frames: Vec<String>,
    back: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    user: Option<String>,
}

/// `GET /admin/sessions?user=`
pub async fn list_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let user_id = query.into_inner().user.filter(|u| !u.is_empty());
    let found = match sessions::list(&state, user_id.as_deref()).await {
        Ok(found) => found,
        Err(error) => return failure_page(&req, &error),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let page = SessionListPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome: &chrome,
        user_id,
        sessions: found
            .into_iter()
            .map(|s| SessionLine::new(chrome.t, s))
            .collect(),
    };
    chrome.render(StatusCode::OK, &page)
}

/// `POST /admin/sessions/end`: `session=<id>`, or `user=<id>` for all of
/// one user's.
pub async fn end_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: AdminForm,
) -> HttpResponse {
    let ctx = context(&state, &admin);
    let ended = match (form.optional("session"), form.optional("user")) {
        (Some(id), _) => sessions::end_one(&ctx, &id).await,
        (None, Some(user)) => sessions::end_all_of_user(&ctx, &user).await.map(|(_, f)| f),
        (None, None) => Err(AdminError::Invalid("choose a session or a user".to_owned())),
    };
    let frames = match ended {
        Ok(frames) => frames,
        Err(error) => return failure_page(&req, &error),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    show_ended(&chrome, "admin.sessions.ended", &frames, "/admin/sessions")
}

/// The page after sessions ended, loading their front-channel frames; the
/// policy lets exactly those origins be framed.
pub(super) fn show_ended(
    chrome: &Chrome,
    heading: &str,
    frames: &[FrontChannelFrame],
    back: &str,
) -> HttpResponse {
    let page = SessionsEndedPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome,
        heading: chrome.t.text(heading),
        frames: frames.iter().map(|f| f.url.clone()).collect(),
        back,
    };
    let mut response = chrome.render(StatusCode::OK, &page);
    pages::allow_frames(&mut response, frames);
    response
}
