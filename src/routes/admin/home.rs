//! `GET /admin`: the console's start, with a count of each kind of thing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Chrome, failure_page};
use crate::admin::{AdminError, sessions};
use crate::i18n::Catalog;
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;
use crate::storage::models::client::Client;
use crate::storage::models::user::User;

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    clients: usize,
    users: i64,
    sessions: usize,
}

pub async fn show_home(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> HttpResponse {
    let counts = async {
        let clients = state.db.run(Client::list).await?.len();
        let users = state.db.run(User::count).await?;
        let sessions = sessions::list(&state, None).await?.len();
        Ok::<_, AdminError>((clients, users, sessions))
    };
    let (clients, users, sessions) = match counts.await {
        Ok(counts) => counts,
        Err(error) => return failure_page(&req, &error),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let page = HomePage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome: &chrome,
        clients,
        users,
        sessions,
    };
    chrome.render(StatusCode::OK, &page)
}
