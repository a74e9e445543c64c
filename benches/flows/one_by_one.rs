//! Single requests over HTTP, as a relying party or a browser sends them:
//! each flow is tried once and its answer checked before wrk repeats it,
//! so a fast run of errors is never taken for a measurement.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

use porteiro::oidc::pkce;

use crate::codes::{CODE_VERIFIER, exchange_body};
use crate::fixture::{CLIENT_ID, PASSWORD, REDIRECT_URI, USERNAME};

pub const FORM: &str = "application/x-www-form-urlencoded";

/// The name of the CSRF cookie on an `http://` issuer.
const CSRF_COOKIE: &str = "porteiro_csrf";

pub struct OneByOne {
    http: reqwest::Client,
    base: String,
    /// `Basic ...` for the bench client.
    pub client_authorization: String,
}

/// A sign-in page as a browser holds it: the pending request it belongs to,
/// and the CSRF cookie and form token that go with it.
pub struct SignInPage {
    pub request_id: String,
    pub csrf_cookie: String,
    pub csrf_token: String,
}

impl SignInPage {
    /// The login form's body with the person's credentials.
    pub fn form_body(&self) -> String {
        serde_urlencoded::to_string([
            ("request", self.request_id.as_str()),
            ("csrf_token", self.csrf_token.as_str()),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .unwrap_or_default()
    }

    pub fn cookie_header(&self) -> String {
        format!("{CSRF_COOKIE}={}", self.csrf_cookie)
    }
}

impl OneByOne {
    pub fn new(addr: SocketAddr, client_secret: &str) -> anyhow::Result<OneByOne> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        let credentials = STANDARD.encode(format!("{CLIENT_ID}:{client_secret}"));
        Ok(OneByOne {
            http,
            base: format!("http://{addr}"),
            client_authorization: format!("Basic {credentials}"),
        })
    }

    /// `POST /token` as the client; the access token of a 200.
    pub async fn token(&self, body: String) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/token", self.base))
            .header(AUTHORIZATION, &self.client_authorization)
            .header(CONTENT_TYPE, FORM)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        ensure!(status == StatusCode::OK, "/token answered {status}: {text}");

        let json: serde_json::Value = serde_json::from_str(&text)?;
        json["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("the token response has no access_token")
    }

    /// Redeems each code and returns the access tokens.
    pub async fn exchange(&self, codes: &[String]) -> anyhow::Result<Vec<String>> {
        let mut tokens = Vec::with_capacity(codes.len());
        for code in codes {
            tokens.push(self.token(exchange_body(code)).await?);
        }
        Ok(tokens)
    }

    /// Starts an authorization request without a session, as a browser
    /// sent by the relying party does, and opens the sign-in page it leads to.
    pub async fn open_sign_in(&self) -> anyhow::Result<SignInPage> {
        let challenge = pkce::s256_challenge(CODE_VERIFIER);
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid profile email"),
            ("state", "bench-state"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])?;
        let authorize = self
            .http
            .get(format!("{}/authorize?{query}", self.base))
            .send()
            .await?;
        let login_path = location(&authorize)?;
        let request_id = login_path
            .strip_prefix("/login?request=")
            .with_context(|| format!("/authorize sent the browser to {login_path}"))?
            .to_owned();

        let page = self
            .http
            .get(format!("{}{login_path}", self.base))
            .send()
            .await?;
        ensure!(
            page.status() == StatusCode::OK,
            "/login answered {}",
            page.status()
        );
        let csrf_cookie = page
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| cookie_value(value, CSRF_COOKIE))
            .context("the sign-in page set no CSRF cookie")?;
        let html = page.text().await?;
        let csrf_token = csrf_token_in(&html).context("the sign-in page has no CSRF token")?;
        Ok(SignInPage {
            request_id,
            csrf_cookie,
            csrf_token,
        })
    }

    /// Posts the sign-in form once; a correct password leads to consent.
    pub async fn sign_in(&self, page: &SignInPage) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/login", self.base))
            .header(CONTENT_TYPE, FORM)
            .header(COOKIE, page.cookie_header())
            .body(page.form_body())
            .send()
            .await?;
        let next = location(&response)?;
        ensure!(
            next.starts_with("/consent?"),
            "the sign-in led to {next}, not to consent"
        );
        Ok(())
    }

    /// `GET /userinfo` with `token`; its status.
    pub async fn userinfo(&self, token: &str) -> anyhow::Result<StatusCode> {
        let response = self
            .http
            .get(format!("{}/userinfo", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await?;
        Ok(response.status())
    }

    /// `POST /introspect` of `token` as the client; whether it is active.
    pub async fn introspect(&self, token: &str) -> anyhow::Result<bool> {
        let response = self
            .http
            .post(format!("{}/introspect", self.base))
            .header(AUTHORIZATION, &self.client_authorization)
            .header(CONTENT_TYPE, FORM)
            .body(introspection_body(token))
            .send()
            .await?;
        ensure!(
            response.status() == StatusCode::OK,
            "/introspect answered {}",
            response.status()
        );
        let json: serde_json::Value = response.json().await?;
        Ok(json["active"] == serde_json::Value::Bool(true))
    }
}

pub fn introspection_body(token: &str) -> String {
    serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
}

/// The `Location` of a 303.
fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    if response.status() != StatusCode::SEE_OTHER {
        bail!(
            "{} answered {}, not a redirect",
            response.url().path(),
            response.status()
        );
    }
    response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .context("a redirect without a Location")
}

/// The value of cookie `name` in a `Set-Cookie` header value.
pub fn cookie_value(set_cookie: &str, name: &str) -> Option<String> {
    let pair = set_cookie.split(';').next()?;
    let (found, value) = pair.split_once('=')?;
    (found.trim() == name).then(|| value.trim().to_owned())
}

/// The hidden `csrf_token` field's value in the sign-in page.
pub fn csrf_token_in(html: &str) -> Option<String> {
    const FIELD: &str = r#"name="csrf_token" value=""#;
    let start = html.find(FIELD)? + FIELD.len();
    let length = html[start..].find('"')?;
    Some(html[start..start + length].to_owned())
}

/// Checks the page parsing against a page and cookie as the server sends
/// them, for the quick run under `cargo test`.
pub fn self_check() -> anyhow::Result<()> {
    let html = r#"<form method="post"><input type="hidden" name="csrf_token" value="ab12"><input name="username"></form>"#;
    ensure!(
        csrf_token_in(html).as_deref() == Some("ab12"),
        "csrf_token misread"
    );
    let set_cookie = "porteiro_csrf=xyz-1; Path=/; HttpOnly; SameSite=Lax";
    ensure!(
        cookie_value(set_cookie, CSRF_COOKIE).as_deref() == Some("xyz-1"),
        "CSRF cookie misread"
    );
    ensure!(
        cookie_value(set_cookie, "other").is_none(),
        "cookie name ignored"
    );
    Ok(())
}
