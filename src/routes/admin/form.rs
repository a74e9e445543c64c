//! The body of every console form: its fields, read only after the CSRF
//! token in it matched the browser's cookie. A form without a valid token
//! is answered with a 403 page and reaches no handler, so it changes
//! nothing.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};

use super::CSRF_PURPOSE;
use crate::routes::pages;
use crate::startup::AppState;

/// The most a console form may carry.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A posted form whose CSRF token checked out.
#[derive(Debug)]
pub struct AdminForm {
    fields: Vec<(String, String)>,
}

impl AdminForm {
    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed; `None` when empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (checkboxes sharing a name).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox named `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.fields.iter().any(|(n, _)| n == name)
    }

    /// The non-empty lines of a text area, trimmed.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Why a form was refused before its handler.
#[derive(Debug, thiserror::Error)]
pub enum FormRefused {
    #[error("the form is not form-encoded or too large")]
    Malformed {
        lang: &'static str,
        request_id: Option<String>,
    },
    #[error("the form's CSRF token does not match")]
    Csrf {
        lang: &'static str,
        request_id: Option<String>,
    },
}

impl ResponseError for FormRefused {
    fn status_code(&self) -> StatusCode {
        match self {
            FormRefused::Malformed { .. } => StatusCode::BAD_REQUEST,
            FormRefused::Csrf { .. } => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let (lang, request_id, key) = match self {
            FormRefused::Malformed { lang, request_id } => (lang, request_id, "admin.error.form"),
            FormRefused::Csrf { lang, request_id } => (lang, request_id, "admin.error.csrf"),
        };
        let t = crate::i18n::negotiate(Some(lang), None);
        pages::error_page(self.status_code(), t, t.text(key), request_id.as_deref())
    }
}

impl FromRequest for AdminForm {
    type Error = FormRefused;
    type Future = Pin<Box<dyn Future<Output = Result<AdminForm, FormRefused>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let lang = pages::catalog_for(&req, None).lang();
            let (lang, request_id) = (static_lang(lang), pages::request_id(&req));
            let malformed = || FormRefused::Malformed {
                lang,
                request_id: request_id.clone(),
            };
            let body = body.await.map_err(|_| malformed())?;
            if body.len() > MAX_FORM_BYTES {
                return Err(malformed());
            }
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| malformed())?;
            // No field of the console holds NUL, which PostgreSQL cannot store.
            if fields
                .iter()
                .any(|(n, v)| n.contains('\0') || v.contains('\0'))
            {
                return Err(malformed());
            }
            let form = AdminForm { fields };

            let Some(state) = req.app_data::<web::Data<AppState>>() else {
                return Err(malformed());
            };
            let token = form.get("csrf_token");
            if !state
                .csrf
                .verify(&req, CSRF_PURPOSE, token, state.secure_cookies())
            {
                return Err(FormRefused::Csrf { lang, request_id });
            }
            Ok(form)
        })
    }
}

/// The catalogue tag as a `'static` string, for the error to carry.
fn static_lang(lang: &str) -> &'static str {
    crate::i18n::languages()
        .into_iter()
        .find(|l| *l == lang)
        .unwrap_or("en")
}
