//! Sending the authorization response back to the client: in the redirect
//! URI's query, or as an auto-submitted form (OAuth 2.0 Form Post Response
//! Mode). Every response carries `iss` (RFC 9207).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::i18n::Catalog;
use crate::oidc::authorize::{ErrorRedirect, ResponseMode};
use crate::oidc::error::OAuthError;

/// Where the form-post page's script lives; it only submits the form.
pub const FORM_POST_SCRIPT_PATH: &str = "/static/js/form-post.js";
const FORM_POST_SCRIPT: &str = include_str!("../../../static/js/form-post.js");

#[derive(Template)]
#[template(path = "authorize/form_post.html")]
struct FormPostPage<'a> {
    t: &'a Catalog,
    redirect_uri: &'a str,
    fields: Vec<(&'a str, String)>,
}

/// Where to answer, as validated.
pub struct ResponseTarget<'a> {
    pub issuer: &'a str,
    pub redirect_uri: &'a str,
    pub response_mode: ResponseMode,
    pub state: Option<&'a str>,
}

pub fn success(req: &HttpRequest, target: &ResponseTarget<'_>, code: &str) -> HttpResponse {
    respond(req, target, vec![("code", code.to_owned())])
}

pub fn error(req: &HttpRequest, target: &ResponseTarget<'_>, error: &OAuthError) -> HttpResponse {
    let fields = vec![
        ("error", error.code.as_str().to_owned()),
        ("error_description", error.description.clone()),
    ];
    respond(req, target, fields)
}

/// The error response for a request rejected at validation.
pub fn rejected(req: &HttpRequest, issuer: &str, redirect: &ErrorRedirect) -> HttpResponse {
    let target = ResponseTarget {
        issuer,
        redirect_uri: &redirect.redirect_uri,
        response_mode: redirect.response_mode,
        state: redirect.state.as_deref(),
    };
    error(req, &target, &redirect.error)
}

fn respond(
    req: &HttpRequest,
    target: &ResponseTarget<'_>,
    mut fields: Vec<(&'static str, String)>,
) -> HttpResponse {
    if let Some(state) = target.state {
        fields.push(("state", state.to_owned()));
    }
    fields.push(("iss", target.issuer.to_owned()));

    match target.response_mode {
        ResponseMode::Query => redirect_with_query(target.redirect_uri, &fields),
        ResponseMode::FormPost => {
            let t = crate::routes::pages::catalog_for(req, None);
            let page = FormPostPage {
                t,
                redirect_uri: target.redirect_uri,
                fields,
            };
            crate::routes::pages::render(actix_web::http::StatusCode::OK, &page)
        }
    }
}

fn redirect_with_query(redirect_uri: &str, fields: &[(&str, String)]) -> HttpResponse {
    // The URI was matched against a registered, parsed one, so it parses.
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return HttpResponse::BadRequest().body("invalid redirect URI");
    };
    url.query_pairs_mut()
        .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())));
    // 303: after a form post the browser must follow with GET (RFC 9700
    // section 4.12).
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// `GET /static/js/form-post.js`.
pub async fn show_form_post_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(FORM_POST_SCRIPT)
}
