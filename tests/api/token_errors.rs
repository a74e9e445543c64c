//! `/token` refusing codes, refresh tokens and clients with the error RFC
//! 6749 section 5.2 names, always as uncacheable JSON.

use porteiro::config::Settings;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::oauth_client::{REDIRECT_URI, TestClient, userinfo};

/// Registers a client that may refresh, and a user to sign in.
async fn refreshing_client(app: &crate::helpers::TestApp) -> TestClient {
    app.create_user("alice").await;
    TestClient::register(
        app,
        json!({ "grant_types": ["authorization_code", "refresh_token"] }),
    )
    .await
}

#[tokio::test]
async fn a_wrong_code_verifier_is_refused_with_invalid_grant() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let (code, _request) = client.code(&app, "alice", "openid").await;
    let other_verifier = client.request("openid").verifier;

    // Act
    let answer = client.redeem_with_verifier(&code, &other_verifier).await;

    // Assert
    answer.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_missing_code_verifier_is_refused_with_invalid_grant() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let (code, _request) = client.code(&app, "alice", "openid").await;

    // Act
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let answer = client.token(&form).await;

    // Assert
    answer.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_its_first_use_issued() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = refreshing_client(&app).await;
    let (code, request) = client.code(&app, "alice", "openid").await;
    let first = client.redeem(&code, &request).await;
    let (access_token, refresh_token) = (first.token("access_token"), first.token("refresh_token"));
    assert_eq!(
        userinfo(&app, &access_token).await.status(),
        200,
        "the first access token works"
    );

    // Act
    let second = client.redeem(&code, &request).await;

    // Assert: the replay fails, and what the first use got is dead.
    second.assert_error(400, "invalid_grant");
    let refused = userinfo(&app, &access_token).await;
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    client
        .refresh(&refresh_token, None)
        .await
        .assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_is_refused_with_invalid_grant() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let (code, request) = client.code(&app, "alice", "openid").await;
    app.clock
        .advance(Settings::default().tokens.authorization_code_lifetime_secs + 1);

    // Act
    let answer = client.redeem(&code, &request).await;

    // Assert
    answer.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_redeemed_by_another_client_is_refused_with_invalid_grant() {
    // Arrange: both clients register the same redirect URI.
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let victim = TestClient::register(&app, json!({})).await;
    let attacker = TestClient::register(&app, json!({})).await;
    let (code, request) = victim.code(&app, "alice", "openid").await;

    // Act
    let answer = attacker.redeem(&code, &request).await;

    // Assert
    answer.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_redeemed_with_another_redirect_uri_is_refused_with_invalid_grant() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(
        &app,
        json!({ "redirect_uris": [REDIRECT_URI, "http://127.0.0.1:9/other"] }),
    )
    .await;
    let (code, request) = client.code(&app, "alice", "openid").await;

    // Act
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:9/other"),
        ("code_verifier", request.verifier.as_str()),
    ];
    let answer = client.token(&form).await;

    // Assert
    answer.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_reused_refresh_token_is_refused_and_kills_its_whole_family() {
    // Arrange: one refresh rotates the token.
    let (app, _db) = spawn_app().await;
    let client = refreshing_client(&app).await;
    let old = client
        .tokens(&app, "alice", "openid profile")
        .await
        .token("refresh_token");
    let new = client.refresh(&old, None).await.token("refresh_token");

    // Act
    let replayed = client.refresh(&old, None).await;
    let successor = client.refresh(&new, None).await;

    // Assert
    replayed.assert_error(400, "invalid_grant");
    successor.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_refresh_can_narrow_the_scope_and_its_successor_keeps_the_original_scope() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = refreshing_client(&app).await;
    let refresh_token = client
        .tokens(&app, "alice", "openid profile email")
        .await
        .token("refresh_token");

    // Act
    let narrowed = client.refresh(&refresh_token, Some("openid")).await;
    let next = client.refresh(&narrowed.token("refresh_token"), None).await;

    // Assert
    assert_eq!(narrowed.token("scope"), "openid");
    assert_eq!(next.token("scope"), "email openid profile");
}

#[tokio::test]
async fn a_refresh_that_widens_the_scope_is_refused_with_invalid_scope() {
    // Arrange: the client may ask for email, but the person granted less.
    let (app, _db) = spawn_app().await;
    let client = refreshing_client(&app).await;
    let refresh_token = client
        .tokens(&app, "alice", "openid profile")
        .await
        .token("refresh_token");

    // Act
    let answer = client
        .refresh(&refresh_token, Some("openid profile email"))
        .await;

    // Assert
    answer.assert_error(400, "invalid_scope");
}

#[tokio::test]
async fn a_wrong_client_secret_over_basic_gets_401_invalid_client_with_a_basic_challenge() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "any"),
        ("redirect_uri", REDIRECT_URI),
    ];

    // Act
    let answer = client
        .token_with_secret(Some("not-the-secret"), &form)
        .await;

    // Assert
    answer.assert_error(401, "invalid_client");
    let challenge = answer.www_authenticate.expect("a WWW-Authenticate header");
    assert!(challenge.starts_with("Basic "), "{challenge}");
}

#[tokio::test]
async fn a_wrong_client_secret_in_the_form_gets_401_invalid_client() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(
        &app,
        json!({ "token_endpoint_auth_method": "client_secret_post" }),
    )
    .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "any"),
        ("redirect_uri", REDIRECT_URI),
    ];

    // Act
    let answer = client
        .token_with_secret(Some("not-the-secret"), &form)
        .await;

    // Assert
    answer.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_gets_401_invalid_client() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "any"),
        ("redirect_uri", REDIRECT_URI),
    ];

    // Act
    let answer = client.token_with_secret(None, &form).await;

    // Assert
    answer.assert_error(401, "invalid_client");
}

#[tokio::test]
async fn an_unknown_grant_type_is_refused_with_unsupported_grant_type() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;

    // Act
    let answer = client
        .token(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "x"),
        ])
        .await;

    // Assert
    answer.assert_error(400, "unsupported_grant_type");
}
