//! The HTML pages a person sees during sign-in: their askama structs, the
//! one function that turns a page into a response with the headers every
//! page needs, and the error page. Handlers decide what a page says; this
//! module decides how it is sent. The texts come from [`crate::i18n`].

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use crate::i18n::{self, Catalog};
use crate::middleware::RequestId;
use crate::oidc::logout::FrontChannelFrame;

/// Sent with every page. Without `'unsafe-inline'` no injected script or
/// style runs. There is deliberately no `form-action`: Chromium applies it to
/// the redirects that follow a form post, and the login and consent forms
/// end in a redirect to the client.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'";

/// Scopes with a description of their own in the catalogues (`scope.<name>`),
/// in the order the consent page lists them: who you are first, then what
/// else the client would see. Any other scope is shown by name, after these.
const DESCRIBED_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The password form.
#[derive(Template)]
#[template(path = "login/form.html")]
pub struct LoginPage<'a> {
    pub t: &'a Catalog,
    /// The id of the pending authorization request, posted back as `request`.
    pub authorization_request: &'a str,
    /// Where a sign-in without a pending request returns to; empty for the
    /// account page.
    pub next: &'a str,
    pub csrf_token: &'a str,
    /// Prefilled after a failed attempt or from `login_hint`; empty otherwise.
    pub username: &'a str,
    /// The client's display name, shown in the heading.
    pub client_name: &'a str,
    /// An already translated message, shown above the form.
    pub error: Option<&'a str>,
    /// This HTTP request's id (see [`request_id`]), shown in the footer.
    pub request_id: Option<&'a str>,
    /// Whether the password form is shown (`login.password_form`).
    pub password_form: bool,
    /// One button per upstream, in the order shown.
    pub upstreams: Vec<UpstreamButton>,
}

/// A "Continue with …" link that starts a sign-in at an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamButton {
    pub href: String,
    /// Already translated, with the upstream's label in it.
    pub label: String,
}

impl LoginPage<'_> {
    fn heading(&self) -> String {
        self.t
            .format("login.heading", &[("client", self.client_name)])
    }
}

/// The question whether a client may have the scopes it asks for.
#[derive(Template)]
#[template(path = "consent/form.html")]
pub struct ConsentPage<'a> {
    pub t: &'a Catalog,
    /// The id of the pending authorization request, posted back as `request`.
    pub authorization_request: &'a str,
    pub csrf_token: &'a str,
    /// The signed-in person, so someone on a shared computer notices a
    /// session that is not theirs.
    pub username: &'a str,
    pub client_name: &'a str,
    /// What the client asks for, in the order to show; see [`scope_lines`].
    pub scopes: Vec<ScopeLine>,
    /// This HTTP request's id (see [`request_id`]), shown in the footer.
    pub request_id: Option<&'a str>,
}

impl ConsentPage<'_> {
    fn heading(&self) -> String {
        self.t
            .format("consent.heading", &[("client", self.client_name)])
    }

    fn signed_in_as(&self) -> String {
        self.t
            .format("consent.signed_in_as", &[("username", self.username)])
    }
}

/// One scope on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeLine {
    pub name: String,
    pub description: String,
}

/// A page for a person who cannot be sent back to the client.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub t: &'a Catalog,
    /// An already translated message.
    pub message: &'a str,
    /// This HTTP request's id, for the person to quote when reporting it.
    pub request_id: Option<&'a str>,
}

/// The consent page's description of each scope: who you are first, then
/// the other scopes the catalogues describe, then the rest in the order
/// given.
pub fn scope_lines(t: &Catalog, scopes: &[&str]) -> Vec<ScopeLine> {
    let mut ordered = scopes.to_vec();
    // A stable sort, so scopes without a description keep their order.
    ordered.sort_by_key(|scope| {
        DESCRIBED_SCOPES
            .iter()
            .position(|described| described == scope)
            .unwrap_or(DESCRIBED_SCOPES.len())
    });

    ordered
        .iter()
        .map(|&scope| {
            let description = if DESCRIBED_SCOPES.contains(&scope) {
                t.text(&format!("scope.{scope}")).to_owned()
            } else {
                t.format("scope.unknown", &[("scope", scope)])
            };
            ScopeLine {
                name: scope.to_owned(),
                description,
            }
        })
        .collect()
}

/// The catalogue for this request: `ui_locales` from the authorization
/// request if there is one, else the `Accept-Language` header.
pub fn catalog_for(req: &HttpRequest, ui_locales: Option<&str>) -> &'static Catalog {
    let accept_language = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    i18n::negotiate(ui_locales, accept_language)
}

/// The id the request span gave this request, as sent in `X-Request-Id`.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<RequestId>()
        .map(|RequestId(id)| id.clone())
}

/// Renders `page` as the body of a `status` response that no one caches,
/// frames or sniffs.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    let body = match page.render() {
        Ok(body) => body,
        Err(error) => {
            // Templates are checked at compile time, so only a failing
            // `Display` of a field can get here.
            tracing::error!(error = %error, "rendering a page failed");
            return HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Porteiro failed to show this page.");
        }
    };

    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// Lets a page frame the front-channel logout URIs of `frames`, and only
/// those origins (Front-Channel Logout 1.0 section 3).
pub fn allow_frames(response: &mut HttpResponse, frames: &[FrontChannelFrame]) {
    if frames.is_empty() {
        return;
    }
    let origins: Vec<&str> = frames.iter().map(|f| f.origin.as_str()).collect();
    let policy = format!(
        "default-src 'self'; frame-src {}; frame-ancestors 'none'",
        origins.join(" ")
    );
    if let Ok(value) = header::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// An error page saying `message` (already translated).
pub fn error_page(
    status: StatusCode,
    t: &Catalog,
    message: &str,
    request_id: Option<&str>,
) -> HttpResponse {
    let page = ErrorPage {
        t,
        message,
        request_id,
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    fn english() -> &'static Catalog {
        i18n::negotiate(None, None)
    }

    fn portuguese() -> &'static Catalog {
        i18n::negotiate(Some("pt-BR"), None)
    }

    fn login_page(t: &Catalog) -> LoginPage<'_> {
        LoginPage {
            t,
            authorization_request: "req-123",
            next: "",
            csrf_token: "csrf-456",
            username: "",
            client_name: "Demo App",
            error: None,
            request_id: Some("0123456789abcdef"),
            password_form: true,
            upstreams: Vec::new(),
        }
    }

    fn consent_page<'a>(t: &'a Catalog, client_name: &'a str) -> ConsentPage<'a> {
        ConsentPage {
            t,
            authorization_request: "req-123",
            csrf_token: "csrf-456",
            username: "ana",
            client_name,
            scopes: scope_lines(t, &["openid", "email", "calendar.read"]),
            request_id: None,
        }
    }

    fn header_of(response: &HttpResponse, name: header::HeaderName) -> &str {
        let value = response.headers().get(name).expect("the header");
        value.to_str().expect("a text header")
    }

    async fn body_of(response: HttpResponse) -> String {
        let bytes = to_bytes(response.into_body()).await.expect("a page body");
        String::from_utf8(bytes.to_vec()).expect("a UTF-8 page")
    }

    #[actix_web::test]
    async fn pages_are_sent_as_html_that_no_one_caches_or_frames() {
        let response = render(StatusCode::OK, &login_page(english()));

        let header = |name| header_of(&response, name);
        assert_eq!(header(header::CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(
            header(header::CONTENT_SECURITY_POLICY),
            "default-src 'self'; frame-ancestors 'none'"
        );
        assert_eq!(header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(header(header::REFERRER_POLICY), "no-referrer");
        assert_eq!(header(header::CACHE_CONTROL), "no-store");
    }

    #[actix_web::test]
    async fn the_login_form_has_the_fields_the_login_handler_reads() {
        let html = body_of(render(StatusCode::OK, &login_page(english()))).await;

        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains(r#"<form method="post" action="/login">"#));
        assert!(html.contains(r#"<label for="username">Username</label>"#));
        assert!(
            html.contains(r#"id="username" name="username" type="text" autocomplete="username""#)
        );
        assert!(html.contains(
            r#"name="password" type="password" autocomplete="current-password" required"#
        ));
        assert!(html.contains(r#"<input type="hidden" name="request" value="req-123">"#));
        assert!(html.contains(r#"<input type="hidden" name="csrf_token" value="csrf-456">"#));
        assert!(html.contains(r#"<button type="submit""#));
        assert!(html.contains("Sign in to continue to Demo App"));
        assert!(html.contains("<code>0123456789abcdef</code>"));
        assert!(!html.contains("role=\"alert\""));
    }

    #[test]
    fn an_empty_username_gets_the_focus_and_a_known_one_passes_it_on() {
        let empty = login_page(english()).render().expect("a page");
        let known = LoginPage {
            username: "ana",
            ..login_page(english())
        }
        .render()
        .expect("a page");

        assert!(empty.contains(r#"required autofocus value="""#));
        assert!(known.contains(r#"required value="ana""#));
        assert!(known.contains(r#"autocomplete="current-password" required autofocus>"#));
    }

    #[test]
    fn a_login_error_is_announced_above_the_form() {
        let t = english();
        let message = t.text("login.error.invalid_credentials");
        let html = LoginPage {
            error: Some(message),
            ..login_page(t)
        }
        .render()
        .expect("a page");

        let alert = html
            .find(r#"<p class="alert" role="alert">The username or password is wrong.</p>"#)
            .expect("an alert");
        let form = html.find("<form").expect("a form");
        assert!(alert < form);
    }

    #[test]
    fn each_upstream_gets_a_button_and_the_password_form_can_be_hidden() {
        let button = UpstreamButton {
            href: "/upstream/corp/start?request=req-123".into(),
            label: "Continue with Corp".into(),
        };
        let with_form = LoginPage {
            upstreams: vec![button.clone()],
            ..login_page(english())
        }
        .render()
        .expect("a page");
        let without_form = LoginPage {
            upstreams: vec![button],
            password_form: false,
            ..login_page(english())
        }
        .render()
        .expect("a page");

        let link = r#"<a class="button-upstream" href="/upstream/corp/start?request=req-123">Continue with Corp</a>"#;
        assert!(with_form.contains(link));
        assert!(with_form.contains(r#"name="password""#));
        assert!(without_form.contains(link));
        assert!(!without_form.contains(r#"name="password""#));
    }

    #[test]
    fn the_consent_form_offers_allow_before_deny() {
        let html = consent_page(english(), "Demo App")
            .render()
            .expect("a page");

        let allow = html
            .find(r#"<button type="submit" name="decision" value="allow" class="button-primary">Allow</button>"#)
            .expect("an allow button");
        let deny = html
            .find(r#"<button type="submit" name="decision" value="deny" class="button-secondary">Deny</button>"#)
            .expect("a deny button");
        assert!(allow < deny);
        assert!(html.contains(r#"<form method="post" action="/consent">"#));
        assert!(html.contains(r#"<input type="hidden" name="request" value="req-123">"#));
        assert!(html.contains(r#"<input type="hidden" name="csrf_token" value="csrf-456">"#));
        assert!(html.contains("Demo App wants to:"));
        assert!(html.contains("Signed in as ana"));
        assert!(html.contains("<li>Confirm who you are</li>"));
        assert!(html.contains("<li>See your e-mail address</li>"));
        assert!(html.contains("<li>Use the permission &#34;calendar.read&#34;</li>"));
        assert!(!html.contains("<footer"));
    }

    #[test]
    fn portuguese_pages_are_in_portuguese() {
        let login = login_page(portuguese()).render().expect("a page");
        let consent = consent_page(portuguese(), "Demo App")
            .render()
            .expect("a page");

        assert!(login.contains(r#"<html lang="pt-BR">"#));
        assert!(login.contains("Entre para continuar em Demo App"));
        assert!(login.contains(">Senha</label>"));
        assert!(login.contains("ID da solicitação"));
        assert!(consent.contains("Demo App quer permissão para:"));
        assert!(consent.contains(">Permitir</button>"));
        assert!(consent.contains("Conectado como ana"));
    }

    #[test]
    fn a_hostile_client_name_is_escaped() {
        let name = "<script>alert(1)</script>";
        let login = LoginPage {
            client_name: name,
            ..login_page(english())
        }
        .render()
        .expect("a page");
        let consent = consent_page(english(), name).render().expect("a page");

        for html in [login, consent] {
            assert!(!html.contains("<script>"));
            assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        }
    }

    #[test]
    fn every_described_scope_has_a_description() {
        let t = english();
        for scope in DESCRIBED_SCOPES {
            let key = format!("scope.{scope}");
            assert_ne!(t.text(&key), key);
        }
    }

    #[test]
    fn scope_lines_put_who_you_are_first_and_undescribed_scopes_last_in_their_order() {
        let given = ["email", "zeta.write", "openid", "alpha.read", "profile"];
        let lines = scope_lines(english(), &given);

        let names: Vec<&str> = lines.iter().map(|line| line.name.as_str()).collect();
        assert_eq!(
            names,
            ["openid", "profile", "email", "zeta.write", "alpha.read"]
        );
        assert_eq!(lines[0].description, "Confirm who you are");
        assert_eq!(lines[1].description, "See your name and username");
    }

    #[actix_web::test]
    async fn the_error_page_shows_its_message_and_the_request_id() {
        let t = english();
        let response = error_page(
            StatusCode::BAD_REQUEST,
            t,
            t.text("error.unknown_client"),
            Some("0123456789abcdef"),
        );

        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let html = body_of(response).await;
        assert!(html.contains("<h1>Something went wrong</h1>"));
        assert!(html.contains("This application is not registered with Porteiro."));
        assert!(html.contains("Request id: <code>0123456789abcdef</code>"));
    }

    #[actix_web::test]
    async fn the_request_id_and_language_come_from_the_request() {
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::ACCEPT_LANGUAGE, "pt-PT,pt;q=0.9,en;q=0.8"))
            .to_http_request();
        req.extensions_mut()
            .insert(RequestId("0123456789abcdef".to_owned()));

        assert_eq!(request_id(&req).as_deref(), Some("0123456789abcdef"));
        assert_eq!(catalog_for(&req, None).lang(), "pt-BR");
        assert_eq!(catalog_for(&req, Some("en")).lang(), "en");
    }
}
