//! The sign-in page refusing: forms without their CSRF token, wrong
//! credentials (one message for every cause), too many failures, and
//! disabled accounts.

use serde_json::json;

use crate::browser::{Browser, Page, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, spawn_app, spawn_app_with};
use crate::oauth_client::TestClient;

/// Opens an authorization request for `client` and returns the login page.
async fn login_page(app: &TestApp, browser: &Browser, client: &TestClient) -> Page {
    let page = browser
        .open(&client.request("openid").url(app))
        .await
        .page();
    assert!(page.is_login(), "the login page: {}", page.html);
    page
}

/// Posts the login form of `page` with these fields, as they are.
async fn post_login(browser: &Browser, page: &Page, fields: &[(&str, &str)]) -> reqwest::Response {
    let action = page.url.join(&page.form_action()).unwrap();
    browser
        .http
        .post(action)
        .form(fields)
        .send()
        .await
        .expect("the server answers")
}

fn sets_session_cookie(response: &reqwest::Response) -> bool {
    response
        .cookies()
        .any(|cookie| cookie.name().contains("porteiro_session"))
}

/// Whether the browser has an SSO session: `prompt=none` tells.
async fn has_session(app: &TestApp, browser: &Browser, client: &TestClient) -> bool {
    let request = client.request("openid").set("prompt", "none");
    let callback = browser.open(&request.url(app)).await.redirect();
    query_param(&callback, "error").as_deref() != Some("login_required")
}

/// The seconds the locked-out message asks to wait; `None` for another text.
fn locked_seconds(app: &TestApp, text: &str) -> Option<i64> {
    let template = app.english().text("login.error.locked");
    let (before, after) = template
        .split_once("{seconds}")
        .expect("a seconds placeholder");
    text.strip_prefix(before)?.strip_suffix(after)?.parse().ok()
}

async fn fail_sign_in(browser: &Browser, page: Page, times: usize) -> Page {
    let mut page = page;
    for _ in 0..times {
        page = browser
            .sign_in(&page, "alice", "a wrong password")
            .await
            .page();
        assert_eq!(page.status, 401, "{}", page.html);
    }
    page
}

#[tokio::test]
async fn a_login_posted_without_its_csrf_token_shows_the_form_again_and_starts_no_session() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = Browser::new(&app.address);
    let page = login_page(&app, &browser, &client).await;
    let request = page.field("request").unwrap();

    // Act
    let fields = [
        ("request", request.as_str()),
        ("username", "alice"),
        ("password", TEST_PASSWORD),
    ];
    let response = post_login(&browser, &page, &fields).await;

    // Assert
    assert_eq!(response.status(), 403);
    assert!(!sets_session_cookie(&response));
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "the form again: {html}");
    assert!(
        html.contains(app.english().text("login.error.csrf")),
        "{html}"
    );
    assert!(!has_session(&app, &browser, &client).await);
}

#[tokio::test]
async fn a_login_posted_with_another_browsers_csrf_token_shows_the_form_again_and_starts_no_session()
 {
    // Arrange: the token a second browser got for the very same request.
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = Browser::new(&app.address);
    let page = login_page(&app, &browser, &client).await;
    let request = page.field("request").unwrap();
    let other = Browser::new(&app.address);
    let other_page = other.open(page.url.as_str()).await.page();
    let foreign_token = other_page.field("csrf_token").unwrap();
    assert_ne!(foreign_token, page.field("csrf_token").unwrap());

    // Act
    let fields = [
        ("request", request.as_str()),
        ("csrf_token", foreign_token.as_str()),
        ("username", "alice"),
        ("password", TEST_PASSWORD),
    ];
    let response = post_login(&browser, &page, &fields).await;

    // Assert
    assert_eq!(response.status(), 403);
    assert!(!sets_session_cookie(&response));
    assert!(response.text().await.unwrap().contains("name=\"password\""));
    assert!(!has_session(&app, &browser, &client).await);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_message_and_status() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let (first, second) = (Browser::new(&app.address), Browser::new(&app.address));
    let first_page = login_page(&app, &first, &client).await;
    let second_page = login_page(&app, &second, &client).await;

    // Act
    let wrong_password = first
        .sign_in(&first_page, "alice", "a wrong password")
        .await
        .page();
    let unknown_user = second
        .sign_in(&second_page, "nobody", TEST_PASSWORD)
        .await
        .page();

    // Assert
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_user.status, wrong_password.status);
    assert_eq!(
        wrong_password.alert().as_deref(),
        Some(app.english().text("login.error.invalid_credentials"))
    );
    assert_eq!(unknown_user.alert(), wrong_password.alert());
}

#[tokio::test]
async fn after_five_failures_the_account_is_locked_and_the_page_says_to_wait() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = Browser::new(&app.address);
    let page = fail_sign_in(&browser, login_page(&app, &browser, &client).await, 5).await;

    // Act: even the right password is turned away now.
    let locked = browser.sign_in(&page, "alice", TEST_PASSWORD).await.page();

    // Assert
    assert_eq!(locked.status, 429);
    let alert = locked.alert().expect("a message");
    assert!(
        locked_seconds(&app, &alert).is_some_and(|s| s > 0),
        "{alert}"
    );
    assert!(!has_session(&app, &browser, &client).await);
}

#[tokio::test]
async fn the_lock_lifts_after_the_wait_the_page_names() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({ "first_party": true })).await;
    let browser = Browser::new(&app.address);
    let page = fail_sign_in(&browser, login_page(&app, &browser, &client).await, 5).await;
    let locked = browser.sign_in(&page, "alice", TEST_PASSWORD).await.page();
    let wait =
        locked_seconds(&app, &locked.alert().expect("a message")).expect("the locked-out message");
    app.clock.advance(wait);

    // Act
    let callback = browser
        .sign_in(&locked, "alice", TEST_PASSWORD)
        .await
        .redirect();

    // Assert
    assert!(query_param(&callback, "code").is_some(), "{callback}");
}

#[tokio::test]
async fn the_failure_limit_holds_across_two_servers_sharing_a_database() {
    // Arrange: three failures on one server, two on the other.
    let db = TestDb::new();
    let one = spawn_app_with(db.settings()).await;
    let two = spawn_app_with(db.settings()).await;
    one.create_user("alice").await;
    let client = TestClient::register(&one, json!({})).await;
    let (browser_one, browser_two) = (Browser::new(&one.address), Browser::new(&two.address));
    fail_sign_in(
        &browser_one,
        login_page(&one, &browser_one, &client).await,
        3,
    )
    .await;
    let page_two = fail_sign_in(
        &browser_two,
        login_page(&two, &browser_two, &client).await,
        2,
    )
    .await;

    // Act
    let locked = browser_two
        .sign_in(&page_two, "alice", TEST_PASSWORD)
        .await
        .page();

    // Assert
    assert_eq!(locked.status, 429);
    let alert = locked.alert().expect("a message");
    assert!(
        locked_seconds(&two, &alert).is_some_and(|s| s > 0),
        "{alert}"
    );
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_and_sees_the_wrong_password_message() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    app.disable_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = Browser::new(&app.address);
    let page = login_page(&app, &browser, &client).await;

    // Act
    let refused = browser.sign_in(&page, "alice", TEST_PASSWORD).await.page();

    // Assert
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.alert().as_deref(),
        Some(app.english().text("login.error.invalid_credentials"))
    );
    assert!(!has_session(&app, &browser, &client).await);
}

#[tokio::test]
async fn a_username_no_account_can_have_gets_the_wrong_password_message() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let browser = Browser::new(&app.address);
    let mut page = login_page(&app, &browser, &client).await;

    for username in ["al\0ice", "alice\u{7}", &"a".repeat(500)] {
        // Act
        page = browser.sign_in(&page, username, TEST_PASSWORD).await.page();

        // Assert
        assert_eq!(page.status, 401, "{username:?}: {}", page.html);
        assert_eq!(
            page.alert().as_deref(),
            Some(app.english().text("login.error.invalid_credentials"))
        );
    }
}
