//! Thin HTTP handlers: parse, call the domain, respond. The route table is in
//! `startup.rs`.

pub mod account;
pub mod admin;
pub mod admin_api;
pub mod assets;
pub mod consent;
pub mod health;
pub mod login;
pub mod logout;
pub mod oidc;
pub mod pages;
pub mod upstream;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;

/// A prebuilt JSON body, cacheable by clients for `max_age_secs`.
pub(crate) fn cached_json(body: Bytes, max_age_secs: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={max_age_secs}"),
        ))
        .body(body)
}
