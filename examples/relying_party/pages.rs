//! The relying party's pages: plain HTML built with `format!`, every value
//! from outside (claims, error texts, JSON) passed through `escape` first.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

use crate::oidc::Profile;

const STYLE: &str = "body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}\
    h1{border-bottom:4px solid #2a6;padding-bottom:.3rem}\
    th{text-align:left;padding-right:1rem;vertical-align:top}\
    pre{background:#f4f4f4;padding:1rem;overflow:auto}\
    .notice{background:#eef7ee;padding:.5rem 1rem}\
    form{display:inline}button{font:inherit}";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The home page of someone not signed in.
pub fn signed_out(app: &str, notice: Option<&str>) -> HttpResponse {
    let notice = notice
        .map(|n| format!("<p class=\"notice\">{}</p>", escape(n)))
        .unwrap_or_default();
    let body = format!(
        "{notice}<p>You are not signed in.</p>\
         <p><a href=\"/login\">Sign in</a> with Porteiro.</p>"
    );
    page(StatusCode::OK, app, &body)
}

/// The home page of someone signed in: the ID token's claims.
pub fn signed_in(app: &str, profile: &Profile) -> HttpResponse {
    let rows: String = profile
        .rows()
        .iter()
        .map(|(name, value)| format!("<tr><th>{name}</th><td>{}</td></tr>", escape(value)))
        .collect();
    let body = format!(
        "<p>You are signed in. Claims of your ID token:</p><table>{rows}</table>\
         <p><a href=\"/userinfo\">Call userinfo</a> · \
         <form method=\"post\" action=\"/logout\"><button>Sign out</button></form></p>"
    );
    page(StatusCode::OK, app, &body)
}

/// What Porteiro's userinfo endpoint answered.
pub fn userinfo(app: &str, json: &str) -> HttpResponse {
    let body = format!(
        "<p>Porteiro's userinfo endpoint answered:</p><pre>{}</pre><p><a href=\"/\">Back</a></p>",
        escape(json)
    );
    page(StatusCode::OK, app, &body)
}

/// A failed step explained to the person, with a way to start over.
pub fn error(status: StatusCode, app: &str, title: &str, detail: &str) -> HttpResponse {
    let body = format!(
        "<h2>{}</h2><p>{}</p><p><a href=\"/\">Home</a> · <a href=\"/login\">Sign in again</a></p>",
        escape(title),
        escape(detail)
    );
    page(status, app, &body)
}

fn page(status: StatusCode, app: &str, body: &str) -> HttpResponse {
    let app = escape(app);
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{app}</title><style>{STYLE}</style></head>\
         <body><h1>{app}</h1>{body}</body></html>"
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // Pages show claims; keep them out of shared and back-button caches.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .body(html)
}
