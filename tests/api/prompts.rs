//! `prompt`, `login_hint`, `ui_locales` and remembered consent (OpenID
//! Connect Core 3.1.2.1 and 3.1.2.6): when the person is asked, when they
//! are not, in which language, and what the client hears when they cannot
//! or will not be asked.

use serde_json::json;
use url::Url;

use crate::browser::{Browser, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};
use crate::oauth_client::{AuthorizationRequest, REDIRECT_URI, TestClient, location, userinfo};

fn assert_callback_error(
    app: &TestApp,
    callback: &Url,
    request: &AuthorizationRequest,
    error: &str,
) {
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(
        query_param(callback, "error").as_deref(),
        Some(error),
        "{callback}"
    );
    assert_eq!(
        query_param(callback, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(
        query_param(callback, "iss").as_deref(),
        Some(app.address.as_str())
    );
    assert_eq!(query_param(callback, "code"), None);
}

/// A browser in which alice signed in and consented to `client` for `scope`.
async fn signed_in_browser(app: &TestApp, client: &TestClient, scope: &str) -> Browser {
    let browser = Browser::new(&app.address);
    let callback = browser
        .authorize(&client.request(scope).url(app), "alice", TEST_PASSWORD)
        .await;
    assert!(
        query_param(&callback, "code").is_some(),
        "the first authorization succeeds: {callback}"
    );
    browser
}

#[tokio::test]
async fn prompt_none_without_a_session_is_answered_with_login_required() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let request = client.request("openid").set("prompt", "none");

    // Act
    let callback = Browser::new(&app.address)
        .open(&request.url(&app))
        .await
        .redirect();

    // Assert
    assert_callback_error(&app, &callback, &request, "login_required");
}

#[tokio::test]
async fn prompt_none_with_a_session_but_no_consent_is_answered_with_consent_required() {
    // Arrange: alice consented to another client only.
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let other = TestClient::register(&app, json!({})).await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = signed_in_browser(&app, &other, "openid").await;
    let request = client.request("openid").set("prompt", "none");

    // Act
    let callback = browser.open(&request.url(&app)).await.redirect();

    // Assert
    assert_callback_error(&app, &callback, &request, "consent_required");
}

#[tokio::test]
async fn a_second_authorization_with_remembered_consent_gets_a_code_without_any_page() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = signed_in_browser(&app, &client, "openid profile").await;
    let request = client.request("openid profile");

    // Act: the very first answer of /authorize.
    let response = browser
        .http
        .get(request.url(&app))
        .send()
        .await
        .expect("the server answers");

    // Assert: straight back to the client, with a code that redeems.
    assert_eq!(response.status(), 303);
    let callback = location(&response).expect("a redirect to the client");
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(request.state.as_str())
    );
    let code = query_param(&callback, "code").expect("a code");
    assert_eq!(client.redeem(&code, &request).await.status, 200);
}

#[tokio::test]
async fn prompt_none_with_a_session_and_remembered_consent_gets_a_code() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = signed_in_browser(&app, &client, "openid").await;
    let request = client.request("openid").set("prompt", "none");

    // Act
    let callback = browser.open(&request.url(&app)).await.redirect();

    // Assert
    assert_eq!(query_param(&callback, "error"), None, "{callback}");
    assert!(query_param(&callback, "code").is_some(), "{callback}");
}

#[tokio::test]
async fn prompt_consent_asks_again_despite_remembered_consent() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = signed_in_browser(&app, &client, "openid").await;
    let request = client.request("openid").set("prompt", "consent");

    // Act
    let page = browser.open(&request.url(&app)).await.page();

    // Assert
    assert!(page.is_consent(), "the consent page: {}", page.html);
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn a_scope_beyond_the_remembered_consent_asks_again() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = signed_in_browser(&app, &client, "openid").await;

    // Act
    let page = browser
        .open(&client.request("openid email").url(&app))
        .await
        .page();

    // Assert
    assert!(page.is_consent(), "the consent page: {}", page.html);
}

#[tokio::test]
async fn denying_consent_is_answered_with_access_denied() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = Browser::new(&app.address);
    let request = client.request("openid profile");
    let login = browser.open(&request.url(&app)).await.page();
    let consent = browser.sign_in(&login, "alice", TEST_PASSWORD).await.page();
    assert!(consent.is_consent(), "the consent page: {}", consent.html);

    // Act
    let callback = browser.decide(&consent, "deny").await.redirect();

    // Assert
    assert_callback_error(&app, &callback, &request, "access_denied");
}

#[tokio::test]
async fn prompt_select_account_shows_the_form_despite_a_session_and_another_person_may_sign_in() {
    // Arrange: alice has a session; bob uses the same browser.
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = TestClient::register(&app, json!({ "first_party": true })).await;
    let browser = signed_in_browser(&app, &client, "openid profile").await;
    let request = client
        .request("openid profile")
        .set("prompt", "select_account");

    // Act
    let page = browser.open(&request.url(&app)).await.page();
    assert!(page.is_login(), "the sign-in form: {}", page.html);
    let callback = browser
        .sign_in(&page, "bob", TEST_PASSWORD)
        .await
        .redirect();

    // Assert: the code is bob's.
    let code = query_param(&callback, "code").expect("a code");
    let tokens = client.redeem(&code, &request).await;
    let response = userinfo(&app, &tokens.token("access_token")).await;
    let claims: serde_json::Value = response.json().await.unwrap();
    assert_eq!(claims["preferred_username"], "bob");
}

#[tokio::test]
async fn login_hint_fills_in_the_username_and_moves_the_focus_to_the_password() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let request = client
        .request("openid")
        .set("login_hint", "ana@example.com");

    // Act
    let page = Browser::new(&app.address)
        .open(&request.url(&app))
        .await
        .page();

    // Assert
    assert_eq!(page.field("username").as_deref(), Some("ana@example.com"));
    let password_input = &page.html[page.html.find(r#"name="password""#).unwrap()..];
    let password_tag = &password_input[..password_input.find('>').unwrap()];
    assert!(password_tag.contains("autofocus"), "{password_tag}");
}

#[tokio::test]
async fn the_sign_in_page_speaks_the_ui_locales_first_then_the_accept_language() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let http = reqwest::Client::new();
    let cases = [
        (None, "pt-BR,pt;q=0.9,en;q=0.5", "pt-BR", "Entrar"),
        (Some("en"), "pt-BR", "en", "Sign in"),
        (Some("fr-CA pt-BR"), "en", "pt-BR", "Entrar"),
        (None, "fr", "en", "Sign in"),
    ];

    for (ui_locales, accept_language, lang, submit) in cases {
        let mut request = client.request("openid");
        if let Some(locales) = ui_locales {
            request = request.set("ui_locales", locales);
        }

        // Act: redirects followed to the sign-in page.
        let html = http
            .get(request.url(&app))
            .header("Accept-Language", accept_language)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();

        // Assert
        let case = format!("ui_locales {ui_locales:?}, Accept-Language {accept_language}");
        assert!(
            html.contains(&format!(r#"<html lang="{lang}">"#)),
            "{case}: {html}"
        );
        assert!(
            html.contains(&format!(">{submit}</button>")),
            "{case}: {html}"
        );
    }
}
