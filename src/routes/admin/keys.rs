//! `/admin/keys`: signing keys with their state and dates, rotation and
//! retirement.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{AdminForm, Chrome, context, failure_page, format_time, see_other};
use crate::admin::{AdminError, keys};
use crate::i18n::Catalog;
use crate::keys::SigningAlg;
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "admin/keys/list.html")]
struct KeyListPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    keys: Vec<KeyLine>,
    algs: Vec<&'static str>,
    delay: String,
}

struct KeyLine {
    kid: String,
    alg: String,
    state: &'static str,
    created: String,
    signs_from: String,
    retires: String,
    unpublished: String,
    can_retire: bool,
}

impl KeyListPage<'_> {
    fn rotate_hint(&self) -> String {
        self.t
            .format("admin.keys.rotate_hint", &[("seconds", &self.delay)])
    }

    fn state_label(&self, state: &str) -> &str {
        match state {
            "next" => self.t.text("admin.keys.state_next"),
            "active" => self.t.text("admin.keys.state_active"),
            "retired" => self.t.text("admin.keys.state_retired"),
            _ => self.t.text("admin.keys.state_expired"),
        }
    }
}

/// `GET /admin/keys`
pub async fn list_keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> HttpResponse {
    let found = match keys::list(&state).await {
        Ok(found) => found,
        Err(error) => return failure_page(&req, &error),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let optional = |at: Option<i64>| at.map(format_time).unwrap_or_else(|| "-".to_owned());
    let lines = found
        .into_iter()
        .map(|key| KeyLine {
            can_retire: matches!(key.state, "next" | "active"),
            kid: key.kid,
            alg: key.alg,
            state: key.state,
            created: format_time(key.created_at),
            signs_from: format_time(key.activates_at),
            retires: optional(key.retires_at),
            unpublished: optional(key.unpublish_at),
        })
        .collect();
    let page = KeyListPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome: &chrome,
        keys: lines,
        algs: SigningAlg::ALL.iter().map(|a| a.as_str()).collect(),
        delay: state.settings.keys.rotation_delay_secs.to_string(),
    };
    chrome.render(StatusCode::OK, &page)
}

/// `POST /admin/keys/rotate`: `alg` names one algorithm; empty, all.
pub async fn rotate_keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: AdminForm,
) -> HttpResponse {
    let alg = match form
        .optional("alg")
        .map(|a| SigningAlg::parse(&a))
        .transpose()
    {
        Ok(alg) => alg,
        Err(error) => return failure_page(&req, &AdminError::Invalid(error.to_string())),
    };

    match keys::rotate(&context(&state, &admin), alg).await {
        Ok(_) => see_other("/keys", "keys_rotated"),
        Err(error) => failure_page(&req, &error),
    }
}

/// `POST /admin/keys/{kid}/retire`
pub async fn retire_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    _form: AdminForm,
) -> HttpResponse {
    match keys::retire(&context(&state, &admin), &path).await {
        Ok(_) => see_other("/keys", "key_retired"),
        Err(error) => failure_page(&req, &error),
    }
}
