//! `/admin`: the admin console, for signed-in people with the `admin` role
//! (the guard is `middleware::admin_guard::require_admin`, wrapped around
//! the whole scope in `startup.rs`). [`ROUTES`] lists every page; posts go
//! through [`AdminForm`], which refuses a form without its CSRF token before
//! any handler runs. The operations are in `crate::admin`, shared with the
//! admin API.

mod audit;
mod client_form;
mod clients;
mod form;
mod home;
mod identities;
mod keys;
mod sessions;
mod users;

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Route, web};
use askama::Template;

pub use form::AdminForm;

use super::pages;
use crate::admin::{AdminContext, AdminError};
use crate::i18n::Catalog;
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;

/// What the console's CSRF tokens are bound to.
const CSRF_PURPOSE: &str = "admin";

/// One console page or form target, under `/admin`.
pub struct ConsoleRoute {
    /// `GET` or `POST`.
    pub method: &'static str,
    pub path: &'static str,
    handler: fn() -> Route,
}

macro_rules! page {
    (GET $path:literal => $handler:path) => {
        ConsoleRoute {
            method: "GET",
            path: $path,
            handler: || web::get().to($handler),
        }
    };
    (POST $path:literal => $handler:path) => {
        ConsoleRoute {
            method: "POST",
            path: $path,
            handler: || web::post().to($handler),
        }
    };
}

/// Every page and form target of the console.
pub static ROUTES: &[ConsoleRoute] = &[
    page!(GET "" => home::show_home),
    page!(GET "/clients" => clients::list_clients),
    page!(POST "/clients" => clients::create_client),
    page!(GET "/clients/new" => clients::new_client_form),
    page!(GET "/clients/{client_id}" => clients::edit_client_form),
    page!(POST "/clients/{client_id}" => clients::update_client),
    page!(POST "/clients/{client_id}/delete" => clients::delete_client),
    page!(POST "/clients/{client_id}/secret" => clients::regenerate_client_secret),
    page!(GET "/users" => users::list_users),
    page!(POST "/users" => users::create_user),
    page!(GET "/users/new" => users::new_user_form),
    page!(GET "/users/{user_id}" => users::show_user),
    page!(POST "/users/{user_id}" => users::update_user),
    page!(POST "/users/{user_id}/status" => users::change_user_status),
    page!(POST "/users/{user_id}/password" => users::set_user_password),
    page!(POST "/users/{user_id}/reset" => users::reset_user_password),
    page!(POST "/users/{user_id}/identities/{identity_id}/remove" =>
        identities::unlink_user_identity),
    page!(GET "/sessions" => sessions::list_sessions),
    page!(POST "/sessions/end" => sessions::end_sessions),
    page!(GET "/keys" => keys::list_keys),
    page!(POST "/keys/rotate" => keys::rotate_keys),
    page!(POST "/keys/{kid}/retire" => keys::retire_key),
    page!(GET "/audit" => audit::list_audit_events),
];

/// Routes [`ROUTES`]; mounted under `/admin` behind the guard.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = ROUTES.iter().map(|r| r.path).collect();
    // Sorted, `/clients/new` comes before `/clients/{client_id}` (`n` < `{`),
    // so the literal path wins: actix takes the first resource that matches.
    paths.sort_unstable();
    paths.dedup();
    for path in paths {
        let mut resource = web::resource(path);
        for route in ROUTES.iter().filter(|r| r.path == path) {
            resource = resource.route((route.handler)());
        }
        cfg.service(resource);
    }
}

/// What every console page needs besides its own content.
pub struct Chrome {
    pub t: &'static Catalog,
    pub csrf_token: String,
    pub request_id: Option<String>,
    pub signed_in_as: String,
    /// A confirmation of the last change, from `?done=`.
    pub notice: Option<String>,
    cookie: Option<Cookie<'static>>,
}

impl Chrome {
    pub fn new(req: &HttpRequest, state: &AppState, admin: &AdminUser) -> Chrome {
        let t = pages::catalog_for(req, None);
        let (csrf_token, cookie) = state.csrf.issue(req, CSRF_PURPOSE, state.secure_cookies());
        let done = web::Query::<Done>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.into_inner().done);
        Chrome {
            t,
            csrf_token,
            request_id: pages::request_id(req),
            signed_in_as: t.format(
                "consent.signed_in_as",
                &[("username", &admin.user.username)],
            ),
            notice: done.and_then(|key| notice(t, &key)),
            cookie,
        }
    }

    /// Renders `page` with the CSRF cookie when the browser had none.
    pub fn render(&self, status: StatusCode, page: &impl Template) -> HttpResponse {
        let mut response = pages::render(status, page);
        if let Some(cookie) = &self.cookie {
            let _ = response.add_cookie(cookie);
        }
        response
    }
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

/// Confirmations a redirect may ask for; anything else shows nothing.
const NOTICES: &[&str] = &[
    "client_deleted",
    "user_saved",
    "user_created",
    "password_set",
    "status_changed",
    "identity_removed",
    "keys_rotated",
    "key_retired",
];

fn notice(t: &Catalog, key: &str) -> Option<String> {
    NOTICES
        .contains(&key)
        .then(|| t.text(&format!("admin.done.{key}")).to_owned())
}

/// The admin and the state, as the operations in `crate::admin` take them.
fn context<'a>(state: &'a AppState, admin: &AdminUser) -> AdminContext<'a> {
    AdminContext {
        state,
        actor: admin.actor.clone(),
    }
}

/// After a change: back to `path`, with a confirmation.
fn see_other(path: &str, done: &str) -> HttpResponse {
    let location = format!("/admin{path}?done={done}");
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The one place an operation's failure becomes a page. Problems with
/// fields are shown beside them by the form handlers and never get here.
fn failure_page(req: &HttpRequest, error: &AdminError) -> HttpResponse {
    let t = pages::catalog_for(req, None);
    let id = pages::request_id(req);
    let (status, message) = match error {
        AdminError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            t.text("admin.error.not_found").to_owned(),
        ),
        AdminError::Invalid(m) | AdminError::Conflict(m) => (
            StatusCode::BAD_REQUEST,
            t.format("admin.error.refused", &[("detail", m)]),
        ),
        AdminError::Fields(fields) => {
            let detail = fields
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            (
                StatusCode::BAD_REQUEST,
                t.format("admin.error.refused", &[("detail", &detail)]),
            )
        }
        AdminError::Failed(cause) => {
            tracing::error!(error = %cause, "an admin operation failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                t.text("error.server").to_owned(),
            )
        }
    };
    pages::error_page(status, t, &message, id.as_deref())
}

/// A Unix time as people read it, in UTC.
fn format_time(unix_secs: i64) -> String {
    let secs = u64::try_from(unix_secs).unwrap_or_default();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replace('T', " ")
        .replace('Z', " UTC")
}
