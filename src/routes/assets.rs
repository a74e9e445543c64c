//! Static files for the pages, compiled into the binary so one file is the
//! whole deployment. Only the stylesheet exists: the pages have no scripts
//! and no images.

use actix_web::HttpResponse;
use actix_web::http::header;

/// Where the pages link their stylesheet; `templates/base.html` names it too.
pub const STYLESHEET_PATH: &str = "/static/css/porteiro.css";

const STYLESHEET: &str = include_str!("../../static/css/porteiro.css");

/// How long browsers may keep the stylesheet. The path has no version in it,
/// so a changed stylesheet reaches everyone within a day.
const MAX_AGE_SECS: u32 = 86_400;

/// `GET /static/css/porteiro.css`.
pub async fn show_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={MAX_AGE_SECS}"),
        ))
        .body(STYLESHEET)
}

#[cfg(test)]
mod tests {
    use actix_web::{App, test, web};

    use super::*;

    #[actix_web::test]
    async fn the_stylesheet_is_served_as_css_and_cached() {
        let app = test::init_service(
            App::new().service(web::resource(STYLESHEET_PATH).get(show_stylesheet)),
        )
        .await;

        let response = test::call_service(
            &app,
            test::TestRequest::get().uri(STYLESHEET_PATH).to_request(),
        )
        .await;

        assert_eq!(response.status(), 200);
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(
            header(header::CONTENT_TYPE),
            Some("text/css; charset=utf-8")
        );
        assert_eq!(header(header::CACHE_CONTROL), Some("public, max-age=86400"));
        let body = test::read_body(response).await;
        assert_eq!(body, STYLESHEET.as_bytes());
    }
}
