//! Signing in through an OpenID Connect upstream that is a second Porteiro
//! server, a real provider with its own sign-in and consent pages; as kind
//! `oidc`, and as kind `google` with the issuer pointed at it for the
//! hosted-domain check. The upstream answers at `localhost`, we at
//! `127.0.0.1`, so the two servers' cookies stay apart in one browser.

use porteiro::config::{UpstreamKind, UpstreamSettings};
use porteiro::storage::models::user::User;
use url::Url;

use crate::browser::{Browser, Landing, query_param};
use crate::federation::{
    UPSTREAM, WithFake, assert_failure_told_client, free_listener, id_token_claims, identities,
    jwt_claims, message, oidc_upstream, spawn_with_upstream, through_consent,
};
use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, spawn_app_on};
use crate::oauth_client::{AuthorizationRequest, TestClient};

/// Registered at our server for the client's logout.
const POST_LOGOUT_URI: &str = "http://127.0.0.1:9/logged-out";

/// Our server, with a Porteiro upstream and a person who has an account
/// there only.
pub struct Pair {
    pub upstream: TestApp,
    pub upstream_issuer: String,
    pub app: TestApp,
    pub rp: TestClient,
    pub person: User,
    _dbs: (TestDb, TestDb),
}

impl Pair {
    pub async fn start(configure: impl FnOnce(&mut UpstreamSettings)) -> Pair {
        let upstream_db = TestDb::new();
        let listener = free_listener();
        let upstream_issuer = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let mut settings = upstream_db.settings();
        settings.issuer = upstream_issuer.clone();
        let upstream = spawn_app_on(listener, settings).await;
        let person = upstream.create_user("Uma").await;

        let listener = free_listener();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let registered = upstream
            .register_client(serde_json::json!({
                "client_name": "Porteiro downstream",
                "redirect_uris": [format!("{address}/upstream/{UPSTREAM}/callback")],
                "post_logout_redirect_uris": [format!("{address}/upstream/{UPSTREAM}/signed-out")],
            }))
            .await;
        // The secret comes from a file, as from a container's secrets.
        let db = TestDb::new();
        let secret_file = db.dir.path().join("corp_client_secret");
        let secret = registered
            .client_secret
            .clone()
            .expect("a confidential client");
        std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
        let mut settings = oidc_upstream(&upstream_issuer, &registered.client_id, None);
        settings.client_secret_file = Some(secret_file);
        configure(&mut settings);
        let app = spawn_with_upstream(listener, &db, UPSTREAM, settings, |_| {}).await;
        let rp = TestClient::register(
            &app,
            serde_json::json!({
                "client_name": "Shop",
                "grant_types": ["authorization_code", "refresh_token"],
                "post_logout_redirect_uris": [POST_LOGOUT_URI],
            }),
        )
        .await;
        Pair {
            upstream,
            upstream_issuer,
            app,
            rp,
            person,
            _dbs: (upstream_db, db),
        }
    }

    /// Moves the upstream's clock on, and ours with it.
    pub fn upstream_clock_advance(&self, secs: i64) {
        self.upstream.clock.advance(secs);
        self.app.clock.advance(secs);
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.app.address).also_following(&self.upstream_issuer)
    }

    /// From the client's request through our button, the upstream's own
    /// sign-in and consent pages, back to us; where that landed.
    pub async fn sign_in(&self, browser: &Browser, request: &AuthorizationRequest) -> Landing {
        let login = browser.open(&request.url(&self.app)).await.page();
        let start = login
            .link(&format!("/upstream/{UPSTREAM}/start"))
            .expect("a button for the upstream");
        let at_upstream = browser
            .open(&format!("{}{start}", self.app.address))
            .await
            .page();
        assert!(at_upstream.url.as_str().starts_with(&self.upstream_issuer));
        assert!(at_upstream.is_login(), "the upstream's sign-in page");

        let landing = browser.sign_in(&at_upstream, "uma", TEST_PASSWORD).await;
        match landing {
            Landing::Page(page)
                if page.is_consent() && page.url.as_str().starts_with(&self.upstream_issuer) =>
            {
                browser.decide(&page, "allow").await
            }
            other => other,
        }
    }
}

#[tokio::test]
async fn a_person_signs_in_through_an_oidc_upstream_and_the_client_gets_amr_and_idp() {
    // Arrange
    let pair = Pair::start(|_| {}).await;
    let browser = pair.browser();
    let request = pair.rp.request("openid profile email");

    // Act
    let landing = pair.sign_in(&browser, &request).await;
    let callback = through_consent(&browser, landing).await;

    // Assert: the client's tokens come from us, for a user made just in time.
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(pair.app.address.as_str())
    );
    let code = query_param(&callback, "code").unwrap();
    let tokens = pair.rp.redeem(&code, &request).await;
    let claims = jwt_claims(&tokens.token("id_token"));
    assert_eq!(claims["iss"], pair.app.address.as_str());
    assert_eq!(claims["amr"], serde_json::json!(["fed", "pwd"]));
    assert_eq!(claims["idp"], UPSTREAM);
    assert_eq!(claims["email"], "uma@example.test");
    assert_eq!(claims["preferred_username"], "Uma");
    assert_ne!(claims["sub"], pair.person.id.as_str());
    let stored = identities(&pair.app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].upstream.as_str(), stored[0].subject.as_str()),
        (UPSTREAM, pair.person.id.as_str())
    );
    assert_eq!(claims["sub"], stored[0].user_id.as_str());

    // Assert: a refreshed ID token still says how the person signed in.
    let refreshed = pair.rp.refresh(&tokens.token("refresh_token"), None).await;
    let claims = jwt_claims(&refreshed.token("id_token"));
    assert_eq!(claims["idp"], UPSTREAM);
    assert_eq!(claims["amr"], serde_json::json!(["fed", "pwd"]));
}

#[tokio::test]
async fn the_session_from_an_upstream_signs_the_person_in_to_the_next_client_without_asking() {
    // Arrange
    let pair = Pair::start(|_| {}).await;
    let browser = pair.browser();
    let first = pair.rp.request("openid");
    let landing = pair.sign_in(&browser, &first).await;
    through_consent(&browser, landing).await;
    let other = TestClient::register(&pair.app, serde_json::json!({ "client_name": "Blog" })).await;
    let request = other.request("openid");

    // Act: the SSO session answers; no page of the upstream is seen.
    let landing = browser.open(&request.url(&pair.app)).await;
    let callback = through_consent(&browser, landing).await;

    // Assert
    let claims = id_token_claims(&other, &callback, &request).await;
    assert_eq!(claims["idp"], UPSTREAM);
}

#[tokio::test]
async fn logging_out_ends_the_upstream_session_too_when_enabled() {
    // Arrange
    let pair = Pair::start(|u| u.end_upstream_session = true).await;
    let browser = pair.browser();
    let request = pair.rp.request("openid");
    let landing = pair.sign_in(&browser, &request).await;
    let callback = through_consent(&browser, landing).await;
    let claims_token = {
        let code = query_param(&callback, "code").unwrap();
        pair.rp.redeem(&code, &request).await.token("id_token")
    };

    // Act: the client asks us to log out; we pass the person to the upstream.
    let mut logout = Url::parse(&format!("{}/logout", pair.app.address)).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &claims_token)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
        .append_pair("state", "bye-1");
    let landing = browser.open(logout.as_str()).await;

    // Assert: back at the client with its state, signed out of both.
    let back = landing.redirect();
    assert_eq!(back.as_str(), format!("{POST_LOGOUT_URI}?state=bye-1"));
    let upstream_account = browser
        .open(&format!("{}/account", pair.upstream_issuer))
        .await
        .page();
    assert!(upstream_account.is_login(), "the upstream session ended");
    let our_account = browser
        .open(&format!("{}/account", pair.app.address))
        .await
        .page();
    assert!(our_account.is_login(), "our session ended");
}

#[tokio::test]
async fn a_google_upstream_refuses_an_account_outside_its_hosted_domain() {
    // Arrange: Google's kind, with its issuer pointed at the Porteiro upstream,
    // whose ID tokens carry no `hd`.
    let pair = Pair::start(|u| {
        u.kind = Some(UpstreamKind::Google);
        u.hosted_domain = Some("example.test".into());
    })
    .await;
    let browser = pair.browser();
    let request = pair.rp.request("openid email");

    // Act
    let page = pair.sign_in(&browser, &request).await.page();

    // Assert
    let text = message(&pair.app, "upstream.error.hosted_domain", "Corp ID");
    assert_failure_told_client(&page, &pair.app, &request, 403, &text, "access_denied");
    assert!(identities(&pair.app).await.is_empty());
}

#[tokio::test]
async fn a_google_upstream_with_its_issuer_overridden_signs_in_with_the_default_scopes() {
    // Arrange: no scopes configured, so openid, profile and email are asked.
    let pair = Pair::start(|u| {
        u.kind = Some(UpstreamKind::Google);
        u.scopes = Vec::new();
    })
    .await;
    let browser = pair.browser();
    let request = pair.rp.request("openid email");

    // Act
    let landing = pair.sign_in(&browser, &request).await;
    let callback = through_consent(&browser, landing).await;

    // Assert: the address came from the upstream, which gives it only for
    // the email scope.
    let claims = id_token_claims(&pair.rp, &callback, &request).await;
    assert_eq!(claims["idp"], UPSTREAM);
    assert_eq!(claims["email"], "uma@example.test");
}

#[tokio::test]
async fn a_google_upstream_accepts_an_id_token_naming_the_hosted_domain() {
    // Arrange: the fake plays Google, saying `hd` as Google does.
    let setup = WithFake::start(|u| {
        u.kind = Some(UpstreamKind::Google);
        u.hosted_domain = Some("example.test".into());
    })
    .await;
    setup
        .fake
        .behave(|b| b.extra_claims = serde_json::json!({ "hd": "example.test" }));

    // Act
    let (landing, attempt) = setup.sign_in().await;
    let callback = through_consent(&attempt.browser, landing).await;

    // Assert
    let claims = id_token_claims(&setup.rp, &callback, &attempt.request).await;
    assert_eq!(claims["idp"], UPSTREAM);

    // And another domain's account is refused.
    setup.fake.behave(|b| {
        b.subject = "someone-else".into();
        b.extra_claims = serde_json::json!({ "hd": "elsewhere.test" });
    });
    let (landing, attempt) = setup.sign_in().await;
    let text = message(&setup.app, "upstream.error.hosted_domain", "Corp ID");
    let page = landing.page();
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        403,
        &text,
        "access_denied",
    );
}

#[tokio::test]
async fn claims_missing_from_the_id_token_are_read_from_userinfo() {
    let setup = WithFake::start(|_| {}).await;
    setup.fake.behave(|b| b.claims_in_userinfo_only = true);

    let (landing, attempt) = setup.sign_in().await;
    let callback = through_consent(&attempt.browser, landing).await;

    let claims = id_token_claims(&setup.rp, &callback, &attempt.request).await;
    assert_eq!(claims["email"], "fay@example.test");
    assert_eq!(claims["name"], "Fay Upstream");
    assert_eq!(claims["amr"], serde_json::json!(["fed"]));
}

#[tokio::test]
async fn prompt_login_from_the_client_makes_the_upstream_ask_again() {
    // Arrange: signed in here and at the upstream, with consent at both.
    let pair = Pair::start(|_| {}).await;
    let browser = pair.browser();
    let first = pair.rp.request("openid");
    let landing = pair.sign_in(&browser, &first).await;
    let callback = through_consent(&browser, landing).await;
    let first_auth_time = id_token_claims(&pair.rp, &callback, &first).await["auth_time"].clone();

    // Act: the client wants a fresh sign-in; the person picks the upstream.
    let request = pair.rp.request("openid").set("prompt", "login");
    let login = browser.open(&request.url(&pair.app)).await.page();
    let start = login.link(&format!("/upstream/{UPSTREAM}/start")).unwrap();
    let at_upstream = browser
        .open(&format!("{}{start}", pair.app.address))
        .await
        .page();

    // Assert: the upstream asks for the password again instead of answering
    // from its session, and the new session says when.
    assert!(at_upstream.url.as_str().starts_with(&pair.upstream_issuer));
    assert!(at_upstream.is_login(), "the upstream's sign-in page again");
    pair.upstream_clock_advance(5);
    let landing = browser.sign_in(&at_upstream, "uma", TEST_PASSWORD).await;
    let callback = through_consent(&browser, landing).await;
    let claims = id_token_claims(&pair.rp, &callback, &request).await;
    assert!(claims["auth_time"].as_i64() > first_auth_time.as_i64());
}
