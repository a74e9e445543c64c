//! `/admin/users`: the list with search and pages, creating a user, and one
//! user's page: profile and roles, status, password, a forced reset, and
//! the linked upstream identities (removed in `identities.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::identities::IdentityLine;
use super::{AdminForm, Chrome, context, failure_page, format_time, see_other};
use crate::admin::{self, AdminError};
use crate::domain::{InvalidValue, Role, Username};
use crate::i18n::Catalog;
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;
use crate::storage::models::user::User;
use crate::users::{self, NewUser, PAGE_SIZE};

#[derive(Template)]
#[template(path = "admin/users/list.html")]
struct UserListPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    query: String,
    users: Vec<UserLine>,
    page: i64,
    pages: i64,
    total: i64,
}

impl UserListPage<'_> {
    /// The list's URL for another page, keeping the search.
    fn page_url(&self, page: &i64) -> String {
        let query = serde_urlencoded::to_string([("q", self.query.as_str())]).unwrap_or_default();
        format!("/admin/users?{query}&page={page}")
    }

    fn page_of(&self) -> String {
        let (page, pages) = (self.page.to_string(), self.pages.to_string());
        self.t
            .format("admin.users.page_of", &[("page", &page), ("pages", &pages)])
    }
}

struct UserLine {
    id: String,
    username: String,
    name: String,
    email: String,
    roles: String,
    disabled: bool,
}

impl From<&User> for UserLine {
    fn from(user: &User) -> Self {
        UserLine {
            id: user.id.clone(),
            username: user.username.clone(),
            name: user.name.clone().unwrap_or_default(),
            email: user.email.clone().unwrap_or_default(),
            roles: user.role_names().unwrap_or_default().join(" "),
            disabled: user.disabled,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users/new.html")]
struct NewUserPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    username: &'a str,
    name: &'a str,
    email: &'a str,
    roles: &'a str,
    alert: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users/show.html")]
struct UserPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    user: UserLine,
    has_password: bool,
    created: String,
    identities: Vec<IdentityLine>,
    alert: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<i64>,
}

/// `GET /admin/users?q=&page=`
pub async fn list_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let (search, page) = (query.q.unwrap_or_default(), query.page.unwrap_or(1).max(1));
    let users = context(&state, &admin).users();
    let found = match users.search(&search, page, PAGE_SIZE).await {
        Ok(found) => found,
        Err(error) => return failure_page(&req, &error.into()),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let page = UserListPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome: &chrome,
        query: search,
        users: found.users.iter().map(UserLine::from).collect(),
        page,
        pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        total: found.total,
    };
    chrome.render(StatusCode::OK, &page)
}

/// `GET /admin/users/new`
pub async fn new_user_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> HttpResponse {
    let chrome = Chrome::new(&req, &state, &admin);
    show_new(&chrome, ["", "", "", ""], None)
}

/// `POST /admin/users`
pub async fn create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: AdminForm,
) -> HttpResponse {
    let chrome = Chrome::new(&req, &state, &admin);
    let typed = [
        form.get("username"),
        form.get("name"),
        form.get("email"),
        form.get("roles"),
    ];
    let new = match new_user(&form) {
        Ok(new) => new,
        Err(invalid) => return show_new(&chrome, typed, Some(refusal(&chrome, &invalid.0))),
    };

    let users = context(&state, &admin).users();
    match users.create(new).await.map_err(AdminError::from) {
        Ok(user) => see_other(&format!("/users/{}", user.id), "user_created"),
        Err(AdminError::Invalid(m) | AdminError::Conflict(m)) => {
            show_new(&chrome, typed, Some(refusal(&chrome, &m)))
        }
        Err(other) => failure_page(&req, &other),
    }
}

/// `GET /admin/users/{user_id}`
pub async fn show_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> HttpResponse {
    let chrome = Chrome::new(&req, &state, &admin);
    show(&req, &chrome, &state, &admin, &path, None).await
}

/// `POST /admin/users/{user_id}`: name, e-mail and roles.
pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: AdminForm,
) -> HttpResponse {
    let users = context(&state, &admin).users();
    let saved = async {
        let roles = parse_roles(form.get("roles")).map_err(|e| AdminError::Invalid(e.0))?;
        let user = users.find_by_id(&path).await?;
        users
            .update_profile(
                &user.username,
                form.optional("name"),
                form.optional("email"),
            )
            .await?;
        users.set_roles(&user.username, &roles).await?;
        Ok::<_, AdminError>(())
    };

    let outcome = saved.await;
    answer(&req, &state, &admin, &path, outcome, "user_saved").await
}

/// `POST /admin/users/{user_id}/status`: `disabled=true` or `false`.
pub async fn change_user_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: AdminForm,
) -> HttpResponse {
    let users = context(&state, &admin).users();
    let disabled = form.get("disabled") == "true";
    let changed = async {
        let user = users.find_by_id(&path).await?;
        users.set_disabled(&user.username, disabled).await?;
        Ok::<_, AdminError>(())
    };

    let outcome = changed.await;
    answer(&req, &state, &admin, &path, outcome, "status_changed").await
}

/// `POST /admin/users/{user_id}/password`
pub async fn set_user_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: AdminForm,
) -> HttpResponse {
    let users = context(&state, &admin).users();
    let password = form.get("password").to_owned();
    let set = async {
        users::acceptable_password(&password).map_err(|e| AdminError::Invalid(e.0))?;
        let user = users.find_by_id(&path).await?;
        users
            .set_password(&user.username, SecretString::from(password))
            .await?;
        Ok::<_, AdminError>(())
    };

    let outcome = set.await;
    answer(&req, &state, &admin, &path, outcome, "password_set").await
}

/// `POST /admin/users/{user_id}/reset`: see `admin::users::force_password_reset`.
/// Shows the page that loads the front-channel logout frames.
pub async fn reset_user_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    _form: AdminForm,
) -> HttpResponse {
    let ctx = context(&state, &admin);
    let frames = match admin::users::force_password_reset(&ctx, &path).await {
        Ok(frames) => frames,
        Err(error) => return failure_page(&req, &error),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let back = format!("/admin/users/{path}");
    super::sessions::show_ended(&chrome, "admin.users.reset_done", &frames, &back)
}

/// The user's page, with `alert` saying why a change was refused.
pub(super) async fn show(
    req: &HttpRequest,
    chrome: &Chrome,
    state: &AppState,
    admin: &AdminUser,
    user_id: &str,
    alert: Option<String>,
) -> HttpResponse {
    let ctx = context(state, admin);
    let (user, identities) = match admin::identities::of_user(&ctx, user_id).await {
        Ok(found) => found,
        Err(error) => return failure_page(req, &error),
    };

    let status = match alert {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let page = UserPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome,
        user: UserLine::from(&user),
        has_password: user.password_hash.is_some(),
        created: format_time(user.created_at),
        identities: identities
            .iter()
            .map(|i| IdentityLine::new(state, i))
            .collect(),
        alert,
    };
    chrome.render(status, &page)
}

/// The user's page again, saying why the change was refused.
/// Back to the user's page with `done` noted, or the page again saying why
/// the change was refused.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    user_id: &str,
    outcome: Result<(), AdminError>,
    done: &str,
) -> HttpResponse {
    match outcome {
        Ok(()) => see_other(&format!("/users/{user_id}"), done),
        Err(error) => refused(req, state, admin, user_id, error).await,
    }
}

async fn refused(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    user_id: &str,
    error: AdminError,
) -> HttpResponse {
    let chrome = Chrome::new(req, state, admin);
    match error {
        AdminError::Invalid(m) | AdminError::Conflict(m) => {
            let alert = refusal(&chrome, &m);
            show(req, &chrome, state, admin, user_id, Some(alert)).await
        }
        other => failure_page(req, &other),
    }
}

fn show_new(chrome: &Chrome, typed: [&str; 4], alert: Option<String>) -> HttpResponse {
    let [username, name, email, roles] = typed;
    let status = match alert {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let page = NewUserPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome,
        username,
        name,
        email,
        roles,
        alert,
    };
    chrome.render(status, &page)
}

fn refusal(chrome: &Chrome, message: &str) -> String {
    chrome
        .t
        .format("admin.error.refused", &[("detail", message)])
}

fn new_user(form: &AdminForm) -> Result<NewUser, InvalidValue> {
    let password = match form.get("password") {
        "" => None,
        given => {
            users::acceptable_password(given)?;
            Some(SecretString::from(given.to_owned()))
        }
    };
    Ok(NewUser {
        username: Username::parse(form.get("username"))?,
        password,
        name: form.optional("name"),
        email: form.optional("email"),
        roles: parse_roles(form.get("roles"))?,
    })
}

/// Roles as typed: separated by spaces or commas.
fn parse_roles(text: &str) -> Result<Vec<Role>, InvalidValue> {
    text.split([' ', ','])
        .filter(|r| !r.is_empty())
        .map(Role::parse)
        .collect()
}
