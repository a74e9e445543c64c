//! The client credentials grant (RFC 6749 section 4.4): confidential
//! clients acting for themselves, within their registered scopes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};
use crate::oauth_client::TestClient;

async fn service_client(app: &TestApp) -> TestClient {
    TestClient::register(
        app,
        json!({ "grant_types": ["client_credentials"], "scope": "api.read api.write" }),
    )
    .await
}

fn payload(jwt: &str) -> serde_json::Value {
    let encoded = jwt.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).expect("base64url"))
        .expect("JSON claims")
}

#[tokio::test]
async fn a_confidential_client_gets_an_access_token_and_no_id_token() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = service_client(&app).await;

    // Act
    let answer = client
        .token(&[("grant_type", "client_credentials"), ("scope", "api.read")])
        .await;

    // Assert
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.cache_control.as_deref(), Some("no-store"));
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["scope"], "api.read");
    assert!(answer.body.get("id_token").is_none(), "{}", answer.body);
    assert!(
        answer.body.get("refresh_token").is_none(),
        "{}",
        answer.body
    );
    let claims = payload(&answer.token("access_token"));
    assert_eq!(claims["sub"], client.id());
    assert_eq!(claims["client_id"], client.id());
}

#[tokio::test]
async fn client_credentials_beyond_the_allowed_scopes_is_refused_with_invalid_scope() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = service_client(&app).await;

    // Act
    let answer = client
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "api.read api.admin"),
        ])
        .await;

    // Assert
    answer.assert_error(400, "invalid_scope");
}

#[tokio::test]
async fn a_public_client_cannot_use_client_credentials() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({ "token_endpoint_auth_method": "none" })).await;

    // Act
    let answer = client.token(&[("grant_type", "client_credentials")]).await;

    // Assert
    answer.assert_error(400, "unauthorized_client");
}

#[tokio::test]
async fn a_confidential_client_not_registered_for_client_credentials_is_refused() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;

    // Act
    let answer = client.token(&[("grant_type", "client_credentials")]).await;

    // Assert
    answer.assert_error(400, "unauthorized_client");
}
