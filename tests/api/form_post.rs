//! `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): the
//! authorization response as a page whose form posts to the redirect URI.

use serde_json::json;

use crate::browser::{Browser, Page};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};
use crate::oauth_client::{REDIRECT_URI, TestClient};

fn assert_posts_to_redirect_uri(app: &TestApp, page: &Page, state: &str) {
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("method=\"post\""), "{}", page.html);
    assert_eq!(page.form_action(), REDIRECT_URI);
    assert_eq!(page.field("state").as_deref(), Some(state));
    assert_eq!(page.field("iss").as_deref(), Some(app.address.as_str()));
}

#[tokio::test]
async fn form_post_posts_the_code_state_and_iss_to_the_redirect_uri() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let request = client.request("openid").set("response_mode", "form_post");
    let browser = Browser::new(&app.address);
    let login = browser.open(&request.url(&app)).await.page();
    let consent = browser.sign_in(&login, "alice", TEST_PASSWORD).await.page();

    // Act
    let page = browser.decide(&consent, "allow").await.page();

    // Assert: the posted code redeems.
    assert_posts_to_redirect_uri(&app, &page, &request.state);
    assert_eq!(page.field("error"), None);
    let code = page.field("code").expect("a code field");
    assert_eq!(client.redeem(&code, &request).await.status, 200);
}

#[tokio::test]
async fn form_post_posts_errors_with_state_and_iss_to_the_redirect_uri() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let request = client
        .request("openid")
        .set("response_mode", "form_post")
        .set("response_type", "token");

    // Act
    let page = Browser::new(&app.address)
        .open(&request.url(&app))
        .await
        .page();

    // Assert
    assert_posts_to_redirect_uri(&app, &page, &request.state);
    assert_eq!(
        page.field("error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(page.field("code"), None);
}
