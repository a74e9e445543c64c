//! What the federation tests share: a server configured with one upstream,
//! the walk from a relying party's request through the "Continue with …"
//! button to the upstream and back, and reading what the client was told.

use std::net::TcpListener;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use porteiro::config::{Settings, UpstreamKind, UpstreamSettings};
use porteiro::storage::models::upstream_identity::UpstreamIdentity;
use secrecy::SecretString;
use url::Url;

use crate::browser::{Browser, Landing, Page, query_param};
use crate::fake_upstream::{FAKE_CLIENT_ID, FakeOidc};
use crate::helpers::{TestApp, TestDb, spawn_app_on};
use crate::oauth_client::{AuthorizationRequest, REDIRECT_URI, TestClient};

/// The name every test gives its upstream.
pub const UPSTREAM: &str = "corp";

/// An `oidc` upstream at `issuer`.
pub fn oidc_upstream(issuer: &str, client_id: &str, secret: Option<&str>) -> UpstreamSettings {
    UpstreamSettings {
        label: "Corp ID".into(),
        kind: Some(UpstreamKind::Oidc),
        issuer: Some(issuer.to_owned()),
        client_id: client_id.to_owned(),
        client_secret: secret.map(|s| SecretString::from(s.to_owned())),
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        ..UpstreamSettings::default()
    }
}

/// Starts a server on `listener` and `db` with `upstream` as [`UPSTREAM`].
pub async fn spawn_with_upstream(
    listener: TcpListener,
    db: &TestDb,
    name: &str,
    upstream: UpstreamSettings,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = db.settings();
    settings.upstreams.insert(name.to_owned(), upstream);
    settings.federation.timeout_secs = 2;
    settings.federation.connect_timeout_secs = 1;
    tweak(&mut settings);
    spawn_app_on(listener, settings).await
}

pub fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("a free port")
}

/// A server whose upstream is an in-test [`FakeOidc`], and a client of it.
pub struct WithFake {
    pub app: TestApp,
    pub fake: FakeOidc,
    pub rp: TestClient,
    _db: TestDb,
}

impl WithFake {
    pub async fn start(configure: impl FnOnce(&mut UpstreamSettings)) -> WithFake {
        Self::start_with(configure, |_| {}).await
    }

    /// As [`WithFake::start`], with the server's settings changed too.
    pub async fn start_with(
        configure: impl FnOnce(&mut UpstreamSettings),
        tweak: impl FnOnce(&mut Settings),
    ) -> WithFake {
        let fake = FakeOidc::start().await;
        let db = TestDb::new();
        let mut upstream = oidc_upstream(&fake.issuer, FAKE_CLIENT_ID, Some("fake-secret"));
        configure(&mut upstream);
        let app = spawn_with_upstream(free_listener(), &db, UPSTREAM, upstream, tweak).await;
        let rp = TestClient::register(&app, serde_json::json!({ "client_name": "Shop" })).await;
        WithFake {
            app,
            fake,
            rp,
            _db: db,
        }
    }

    /// A fresh browser's sign-in through the fake, up to the callback.
    pub async fn start_sign_in(&self) -> Attempt {
        let browser = Browser::new(&self.app.address);
        let request = self.rp.request("openid profile email");
        let login = browser.open(&request.url(&self.app)).await.page();
        let to_upstream = click_upstream(&browser, &self.app, &login).await;
        let callback = upstream_answer(&to_upstream).await;
        Attempt {
            browser,
            request,
            login_url: login.url,
            callback,
        }
    }

    /// A fresh browser's sign-in through the fake, and where it landed.
    pub async fn sign_in(&self) -> (Landing, Attempt) {
        let attempt = self.start_sign_in().await;
        let landing = attempt.browser.open(attempt.callback.as_str()).await;
        (landing, attempt)
    }
}

/// One sign-in at an upstream, stopped where the upstream answered.
pub struct Attempt {
    pub browser: Browser,
    pub request: AuthorizationRequest,
    /// The sign-in page of the pending authorization request.
    pub login_url: Url,
    /// Where the upstream sends the browser back to.
    pub callback: Url,
}

/// Follows the page's "Continue with …" link to the upstream's
/// authorization endpoint.
pub async fn click_upstream(browser: &Browser, app: &TestApp, page: &Page) -> Url {
    let start = page
        .link(&format!("/upstream/{UPSTREAM}/start"))
        .unwrap_or_else(|| panic!("a button for the upstream in {}", page.html));
    browser
        .open(&format!("{}{start}", app.address))
        .await
        .redirect()
}

/// What an upstream that answers at once redirects to.
pub async fn upstream_answer(authorize: &Url) -> Url {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(authorize.clone()).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap();
    Url::parse(location).unwrap()
}

/// Allows on the consent page, if one is shown, and returns the redirect to
/// the client.
pub async fn through_consent(browser: &Browser, landing: Landing) -> Url {
    match landing {
        Landing::Page(page) if page.is_consent() => browser.decide(&page, "allow").await.redirect(),
        other => other.redirect(),
    }
}

/// The claims of a JWT, unverified (the code flow tests verify).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Redeems the code on `callback` and returns the ID token's claims.
pub async fn id_token_claims(
    rp: &TestClient,
    callback: &Url,
    request: &AuthorizationRequest,
) -> serde_json::Value {
    let code = query_param(callback, "code").unwrap_or_else(|| panic!("a code in {callback}"));
    let answer = rp.redeem(&code, request).await;
    jwt_claims(&answer.token("id_token"))
}

/// Asserts the failure page: its status and message, and its button
/// carrying `error` to the client with the request's `state` and our `iss`.
pub fn assert_failure_told_client(
    page: &Page,
    app: &TestApp,
    request: &AuthorizationRequest,
    status: u16,
    message: &str,
    error: &str,
) {
    assert_eq!(page.status, status, "{}", page.html);
    assert_eq!(page.alert().as_deref(), Some(message), "{}", page.html);
    let back = page
        .link(REDIRECT_URI)
        .unwrap_or_else(|| panic!("a way back to the client in {}", page.html));
    let back = Url::parse(&back).unwrap();
    assert_eq!(query_param(&back, "error").as_deref(), Some(error));
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.address.as_str())
    );
    assert!(query_param(&back, "code").is_none());
}

/// The message of `key` with the upstream's label, in English.
pub fn message(app: &TestApp, key: &str, label: &str) -> String {
    app.english().format(key, &[("upstream", label)])
}

/// Every identity stored, for checking that nothing half-made stayed.
pub async fn identities(app: &TestApp) -> Vec<UpstreamIdentity> {
    use diesel::prelude::*;
    use porteiro::storage::schema::upstream_identities;

    app.db
        .run(|conn| {
            Ok::<_, porteiro::storage::StorageError>(
                upstream_identities::table
                    .select(UpstreamIdentity::as_select())
                    .load(conn)?,
            )
        })
        .await
        .unwrap()
}

pub async fn user_count(app: &TestApp) -> i64 {
    app.db
        .run(porteiro::storage::models::user::User::count)
        .await
        .unwrap()
}

/// Whether the attempt's pending request is still open; it must not be
/// once its client was told of a failure.
pub async fn pending_is_open(attempt: &Attempt) -> bool {
    let landing = attempt.browser.open(attempt.login_url.as_str()).await;
    landing.page().is_login()
}
