//! Single sign-on across relying parties, and logout everywhere:
//! RP-initiated, back-channel and front-channel.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use josekit::jwk::JwkSet;
use openidconnect::core::CoreTokenResponse;
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use porteiro::keys::SigningAlg;

use crate::browser::{Browser, Landing, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, spawn_app, spawn_app_with};
use crate::relying_party::RelyingParty;

/// A relying party's back-channel logout endpoint: records each logout
/// token, after refusing the first `failures` deliveries.
#[derive(Clone)]
struct Listener {
    url: String,
    received: Arc<Mutex<Vec<String>>>,
    failures: Arc<Mutex<u32>>,
}

impl Listener {
    async fn start(failures: u32) -> Listener {
        let received = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(failures));
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/backchannel-logout",
            tcp.local_addr().unwrap().port()
        );
        let (r, f) = (received.clone(), failures.clone());
        let server = HttpServer::new(move || {
            let (r, f) = (r.clone(), f.clone());
            App::new().route(
                "/backchannel-logout",
                web::post().to(
                    move |form: web::Form<std::collections::HashMap<String, String>>| {
                        let (r, f) = (r.clone(), f.clone());
                        async move {
                            let mut left = f.lock().unwrap();
                            if *left > 0 {
                                *left -= 1;
                                return HttpResponse::ServiceUnavailable().finish();
                            }
                            r.lock()
                                .unwrap()
                                .push(form.get("logout_token").cloned().unwrap_or_default());
                            HttpResponse::Ok().finish()
                        }
                    },
                ),
            )
        })
        .workers(1)
        .listen(tcp)
        .unwrap()
        .run();
        tokio::spawn(server);
        Listener {
            url,
            received,
            failures,
        }
    }

    fn tokens(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    async fn wait_for(&self, count: usize, app: &TestApp) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.tokens().len() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} logout token(s) expected, got {}",
                count,
                self.tokens().len()
            );
            // Retries wait on the server's clock; move it past any back-off.
            app.clock.advance(2);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.tokens()
    }
}

struct SignedIn {
    rp: RelyingParty,
    tokens: CoreTokenResponse,
    sid: String,
    sub: String,
}

const POST_LOGOUT_URI: &str = "http://127.0.0.1:9/signed-out";

async fn register(app: &TestApp, backchannel: Option<&Listener>) -> RelyingParty {
    let mut metadata = serde_json::json!({
        "grant_types": ["authorization_code", "refresh_token"],
        "post_logout_redirect_uris": [POST_LOGOUT_URI],
        "backchannel_logout_session_required": true,
    });
    if let Some(listener) = backchannel {
        metadata["backchannel_logout_uri"] = listener.url.clone().into();
    }
    RelyingParty::register(app, metadata).await
}

/// Runs the flow for `rp` in `browser`; with a live session no page is shown.
async fn sign_in(browser: &Browser, rp: RelyingParty) -> SignedIn {
    let attempt = rp.start(&["openid", "profile"]);
    let callback = browser.authorize(&attempt.url, "ana", TEST_PASSWORD).await;
    let tokens = rp
        .exchange(&query_param(&callback, "code").unwrap(), attempt.verifier)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token
        .claims(&rp.client.id_token_verifier(), &attempt.nonce)
        .unwrap()
        .clone();
    let sid = sid_of(&id_token.to_string());
    SignedIn {
        sub: claims.subject().to_string(),
        sid,
        rp,
        tokens,
    }
}

/// The `sid` claim of an ID token, which the crate's core claims do not
/// model; the signature was checked by the crate already.
pub(crate) fn sid_of(id_token: &str) -> String {
    use base64::Engine;

    let payload = id_token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["sid"]
        .as_str()
        .expect("the ID token has a sid")
        .to_owned()
}

fn logout_url(app: &TestApp, signed_in: &SignedIn, state: &str) -> String {
    let hint = signed_in.tokens.id_token().unwrap().to_string();
    let mut url = url::Url::parse(&format!("{}/logout", app.address)).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &hint)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
        .append_pair("state", state);
    url.to_string()
}

async fn prompt_none(browser: &Browser, rp: &RelyingParty) -> url::Url {
    let attempt = rp.start(&["openid", "profile"]);
    browser
        .open(&format!("{}&prompt=none", attempt.url))
        .await
        .redirect()
}

#[tokio::test]
async fn a_second_relying_party_in_the_same_browser_signs_in_without_a_form_with_the_same_sub_and_another_sid()
 {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let browser = Browser::new(&app.address);
    let a = sign_in(&browser, register(&app, None).await).await;
    let b_rp = register(&app, None).await;

    // Act: no credentials this time; a form would fail the flow.
    let attempt = b_rp.start(&["openid", "profile"]);
    let landing = browser.open(&attempt.url).await;
    let Landing::Page(consent) = landing else {
        panic!("the second client asks for consent first");
    };
    assert!(
        consent.is_consent(),
        "no sign-in form for the second client"
    );
    let callback = browser.decide(&consent, "allow").await.redirect();
    let tokens = b_rp
        .exchange(&query_param(&callback, "code").unwrap(), attempt.verifier)
        .await
        .unwrap();

    // Assert
    let id_token = tokens.id_token().unwrap();
    let claims = id_token
        .claims(&b_rp.client.id_token_verifier(), &attempt.nonce)
        .unwrap();
    assert_eq!(claims.subject().as_str(), a.sub);
    assert_ne!(sid_of(&id_token.to_string()), a.sid);
}

#[tokio::test]
async fn rp_initiated_logout_with_a_hint_lands_on_the_registered_uri_with_state_and_ends_everything()
 {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let browser = Browser::new(&app.address);
    let signed_in = sign_in(&browser, register(&app, None).await).await;
    let access = signed_in.tokens.access_token().secret().clone();
    let refresh = signed_in.tokens.refresh_token().unwrap().secret().clone();

    // Act
    let landed = browser
        .open(&logout_url(&app, &signed_in, "bye-123"))
        .await
        .redirect();

    // Assert: back at the registered URI, with state.
    assert_eq!(landed.path(), "/signed-out");
    assert_eq!(query_param(&landed, "state").as_deref(), Some("bye-123"));
    // The session is gone: prompt=none now says login_required.
    let answer = prompt_none(&browser, &signed_in.rp).await;
    assert_eq!(
        query_param(&answer, "error").as_deref(),
        Some("login_required")
    );
    // Its tokens are revoked.
    let userinfo = app
        .http
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    let refreshed = app
        .http
        .post(format!("{}/token", app.address))
        .basic_auth(
            &signed_in.rp.registered.client_id,
            signed_in.rp.registered.client_secret.clone(),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 400);
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_uri_is_never_followed() {
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let browser = Browser::new(&app.address);
    let signed_in = sign_in(&browser, register(&app, None).await).await;
    let url = logout_url(&app, &signed_in, "s").replace("signed-out", "elsewhere");

    let response = browser.http.get(url).send().await.unwrap();

    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let still_signed_in = prompt_none(&browser, &signed_in.rp).await;
    assert!(
        query_param(&still_signed_in, "code").is_some(),
        "nothing was logged out"
    );
}

#[tokio::test]
async fn a_logout_without_a_hint_asks_for_confirmation_and_needs_its_csrf_token() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let browser = Browser::new(&app.address);
    let signed_in = sign_in(&browser, register(&app, None).await).await;

    // Act: a bare logout request shows the confirmation page.
    let page = browser
        .open(&format!("{}/logout", app.address))
        .await
        .page();
    assert_eq!(page.status, 200);
    assert!(page.html.contains(r#"name="logout" value="yes""#));

    // A forged confirmation (no CSRF token) logs nobody out.
    let forged = browser.submit(&page, &[("logout", "yes")]).await.page();
    assert!(forged.html.contains(r#"name="logout" value="yes""#));
    assert!(query_param(&prompt_none(&browser, &signed_in.rp).await, "code").is_some());

    // The real confirmation does.
    let csrf = page.field("csrf_token").unwrap();
    let signed_out = browser
        .submit(&page, &[("logout", "yes"), ("csrf_token", &csrf)])
        .await
        .page();
    assert_eq!(signed_out.status, 200);
    let answer = prompt_none(&browser, &signed_in.rp).await;
    assert_eq!(
        query_param(&answer, "error").as_deref(),
        Some("login_required")
    );
}

/// Checks a logout token against the published JWKS and the spec's claims.
async fn assert_logout_token(app: &TestApp, token: &str, client_id: &str, sid: &str, sub: &str) {
    let jwks = JwkSet::from_bytes(app.jwks_text().await.as_bytes()).unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "logout+jwt");
    let jwk = jwks.get(header["kid"].as_str().unwrap())[0];
    let alg = SigningAlg::parse(header["alg"].as_str().unwrap()).unwrap();
    let (payload, _) =
        josekit::jws::deserialize_compact(token, alg.verifier(jwk).unwrap().as_ref()).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["iss"], app.address);
    assert_eq!(claims["aud"], client_id);
    assert_eq!(claims["sid"], sid);
    assert_eq!(claims["sub"], sub);
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
    assert!(claims["jti"].is_string() && claims["iat"].is_i64() && claims["exp"].is_i64());
}

#[tokio::test]
async fn back_channel_logout_tells_every_relying_party_of_the_session_once() {
    // Arrange: A and B signed in through one browser session.
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let (listener_a, listener_b) = (Listener::start(0).await, Listener::start(0).await);
    let browser = Browser::new(&app.address);
    let a = sign_in(&browser, register(&app, Some(&listener_a)).await).await;
    let b = sign_in(&browser, register(&app, Some(&listener_b)).await).await;

    // Act: B starts the logout.
    browser.open(&logout_url(&app, &b, "s")).await.redirect();

    // Assert
    let tokens_a = listener_a.wait_for(1, &app).await;
    let tokens_b = listener_b.wait_for(1, &app).await;
    assert_logout_token(
        &app,
        &tokens_a[0],
        &a.rp.registered.client_id,
        &a.sid,
        &a.sub,
    )
    .await;
    assert_logout_token(
        &app,
        &tokens_b[0],
        &b.rp.registered.client_id,
        &b.sid,
        &b.sub,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        (listener_a.tokens().len(), listener_b.tokens().len()),
        (1, 1),
        "each is told once"
    );
}

#[tokio::test]
async fn a_back_channel_listener_that_fails_twice_still_gets_the_logout_token() {
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let listener = Listener::start(2).await;
    let browser = Browser::new(&app.address);
    let signed_in = sign_in(&browser, register(&app, Some(&listener)).await).await;

    browser
        .open(&logout_url(&app, &signed_in, "s"))
        .await
        .redirect();

    let tokens = listener.wait_for(1, &app).await;
    assert_eq!(
        *listener.failures.lock().unwrap(),
        0,
        "both failures happened first"
    );
    assert_logout_token(
        &app,
        &tokens[0],
        &signed_in.rp.registered.client_id,
        &signed_in.sid,
        &signed_in.sub,
    )
    .await;
}

#[tokio::test]
async fn a_pending_back_channel_delivery_survives_a_server_restart() {
    // Arrange: the listener refuses until after the restart.
    let db = TestDb::new();
    let first = spawn_app_with(db.settings()).await;
    first.create_user("Ana").await;
    let listener = Listener::start(u32::MAX).await;
    let browser = Browser::new(&first.address);
    let signed_in = sign_in(&browser, register(&first, Some(&listener)).await).await;
    browser
        .open(&logout_url(&first, &signed_in, "s"))
        .await
        .redirect();
    let issuer = first.address.clone();
    first.stop().await;

    // Act: the listener recovers; a new server starts on the same database.
    *listener.failures.lock().unwrap() = 0;
    let mut settings = db.settings();
    settings.issuer = issuer;
    let second = spawn_app_with(settings).await;

    // Assert
    let tokens = listener.wait_for(1, &second).await;
    assert_eq!(tokens.len(), 1);
}

#[tokio::test]
async fn the_signed_out_page_loads_each_front_channel_uri_with_iss_and_sid() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let metadata = serde_json::json!({
        "post_logout_redirect_uris": [POST_LOGOUT_URI],
        "frontchannel_logout_uri": "https://rp.example.test/frontchannel",
        "frontchannel_logout_session_required": true,
    });
    let browser = Browser::new(&app.address);
    let signed_in = sign_in(&browser, RelyingParty::register(&app, metadata).await).await;

    // Act
    let page = browser
        .open(&logout_url(&app, &signed_in, "s"))
        .await
        .page();
    let csp = browser
        .http
        .get(format!("{}/logout", app.address))
        .send()
        .await
        .unwrap();

    // Assert: the frame carries iss and sid, and the page links back with state.
    let expected = url::Url::parse_with_params(
        "https://rp.example.test/frontchannel",
        &[
            ("iss", app.address.as_str()),
            ("sid", signed_in.sid.as_str()),
        ],
    )
    .unwrap();
    assert!(
        page.html.contains(&format!(
            r#"<iframe src="{}""#,
            expected.as_str().replace('&', "&#38;")
        )),
        "{}",
        page.html
    );
    assert!(page.html.contains("/signed-out?state=s"));
    assert!(
        csp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

#[tokio::test]
async fn the_signed_out_page_allows_exactly_the_front_channel_frames() {
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let metadata =
        serde_json::json!({ "frontchannel_logout_uri": "https://rp.example.test/frontchannel" });
    let browser = Browser::new(&app.address);
    let signed_in = sign_in(&browser, RelyingParty::register(&app, metadata).await).await;
    let hint = signed_in.tokens.id_token().unwrap().to_string();

    let response = browser
        .http
        .get(format!("{}/logout?id_token_hint={hint}", app.address))
        .send()
        .await
        .unwrap();

    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        policy,
        "default-src 'self'; frame-src https://rp.example.test; frame-ancestors 'none'"
    );
}

async fn auth_time_of(rp: &RelyingParty, browser: &Browser, extra: &str) -> (i64, bool) {
    let attempt = rp.start(&["openid"]);
    let mut landing = browser.open(&format!("{}{extra}", attempt.url)).await;
    let showed_form = matches!(&landing, Landing::Page(page) if page.is_login());
    if let Landing::Page(page) = &landing
        && page.is_login()
    {
        landing = browser.sign_in(page, "ana", TEST_PASSWORD).await;
    }
    let callback = landing.redirect();
    let tokens = rp
        .exchange(&query_param(&callback, "code").unwrap(), attempt.verifier)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&rp.client.id_token_verifier(), &attempt.nonce)
        .unwrap()
        .clone();
    (claims.auth_time().unwrap().timestamp(), showed_form)
}

#[tokio::test]
async fn max_age_zero_and_prompt_login_show_the_form_and_move_auth_time_forward() {
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let browser = Browser::new(&app.address);
    let rp = RelyingParty::register(&app, serde_json::json!({ "first_party": true })).await;
    let (first, _) = auth_time_of(&rp, &browser, "").await;

    app.clock.advance(10);
    let (second, form_for_max_age) = auth_time_of(&rp, &browser, "&max_age=0").await;
    app.clock.advance(10);
    let (third, form_for_prompt) = auth_time_of(&rp, &browser, "&prompt=login").await;
    let (fourth, form_again) = auth_time_of(&rp, &browser, "").await;

    assert!(form_for_max_age && form_for_prompt && !form_again);
    assert_eq!((second - first, third - second), (10, 10));
    assert_eq!(fourth, third, "a plain request keeps the last auth_time");
}

#[tokio::test]
async fn a_session_started_on_one_instance_is_used_for_sso_by_another() {
    // Arrange: two instances of one issuer on one database.
    let db = TestDb::new();
    let first = spawn_app_with(db.settings()).await;
    let mut settings = db.settings();
    settings.issuer = first.address.clone();
    let second = spawn_app_with(settings).await;
    first.create_user("Ana").await;
    let rp = RelyingParty::register(&first, serde_json::json!({ "first_party": true })).await;
    let browser = Browser::new(&first.address);
    browser
        .authorize(&rp.start(&["openid"]).url, "ana", TEST_PASSWORD)
        .await;

    // Act: the same browser (its cookie is for 127.0.0.1) asks the second instance.
    let attempt = rp.start(&["openid"]);
    let on_second = attempt.url.replace(&first.address, &second.address);
    let landed = browser.open(&on_second).await.redirect();

    // Assert: a code with no form, redeemable at either instance.
    let code = query_param(&landed, "code").expect("a code without signing in again");
    rp.exchange(&code, attempt.verifier).await.unwrap();
}
