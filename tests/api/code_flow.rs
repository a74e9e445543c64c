//! The authorization code flow end to end, as a relying party built with the
//! `openidconnect` crate sees it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreUserInfoClaims};
use openidconnect::{AccessTokenHash, OAuth2TokenResponse, TokenResponse};
use sha2::{Digest, Sha256};

use crate::browser::{Browser, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};
use crate::relying_party::RelyingParty;

async fn complete_flow(app: &TestApp, metadata: serde_json::Value) {
    // Arrange
    let user = app.create_user("Alice").await;
    let rp = RelyingParty::register(app, metadata).await;
    let browser = Browser::new(&app.address);
    let attempt = rp.start(&["openid", "profile", "email"]);

    // Act: the person signs in and consents; the relying party redeems the code.
    let callback = browser
        .authorize(&attempt.url, "alice", TEST_PASSWORD)
        .await;
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(attempt.state.secret().as_str())
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(app.address.as_str())
    );
    let code = query_param(&callback, "code").expect("a code");
    let tokens = rp
        .exchange(&code, attempt.verifier)
        .await
        .expect("the code is redeemed");

    // Assert: the crate verifies the ID token against our JWKS.
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = rp.client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &attempt.nonce)
        .expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), user.id);
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("Alice")
    );
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("alice@example.test")
    );
    assert!(claims.auth_time().is_some());
    let expected_hash = match id_token.signing_alg().expect("a signing algorithm") {
        // No JWK names a client secret; HS256 hashes with SHA-256.
        CoreJwsSigningAlgorithm::HmacSha256 => {
            let digest = Sha256::digest(tokens.access_token().secret().as_bytes());
            AccessTokenHash::new(URL_SAFE_NO_PAD.encode(&digest[..16]))
        }
        alg => AccessTokenHash::from_token(
            tokens.access_token(),
            alg,
            id_token.signing_key(&verifier).expect("the signing key"),
        )
        .expect("a hash"),
    };
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    // Assert: userinfo answers for the access token.
    let userinfo: CoreUserInfoClaims = rp
        .client
        .user_info(tokens.access_token().clone(), None)
        .expect("a userinfo endpoint")
        .request_async(&rp.http)
        .await
        .expect("userinfo answers");
    assert_eq!(userinfo.subject().as_str(), user.id);
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("alice@example.test")
    );
}

#[tokio::test]
async fn a_confidential_client_completes_the_flow_with_rs256_id_tokens() {
    let (app, _db) = spawn_app().await;

    complete_flow(&app, serde_json::json!({ "client_name": "Confidential", "grant_types": ["authorization_code", "refresh_token"] })).await;
}

#[tokio::test]
async fn a_public_client_completes_the_flow_with_es256_id_tokens() {
    let (app, _db) = spawn_app().await;

    complete_flow(&app, serde_json::json!({ "token_endpoint_auth_method": "none", "id_token_signed_response_alg": "ES256" })).await;
}

#[tokio::test]
async fn a_client_completes_the_flow_with_eddsa_id_tokens() {
    let (app, _db) = spawn_app().await;

    complete_flow(&app, serde_json::json!({ "token_endpoint_auth_method": "client_secret_post", "id_token_signed_response_alg": "EdDSA" })).await;
}

#[tokio::test]
async fn a_client_completes_the_flow_with_ps256_id_tokens() {
    let (app, _db) = spawn_app().await;

    complete_flow(
        &app,
        serde_json::json!({ "id_token_signed_response_alg": "PS256" }),
    )
    .await;
}

#[tokio::test]
async fn a_client_that_registers_hs256_gets_id_tokens_signed_with_its_secret() {
    let (app, _db) = spawn_app().await;

    complete_flow(
        &app,
        serde_json::json!({ "id_token_signed_response_alg": "HS256" }),
    )
    .await;
}

#[tokio::test]
async fn a_public_client_cannot_register_hs256_id_tokens() {
    let metadata: porteiro::clients::ClientMetadata = serde_json::from_value(serde_json::json!({
        "redirect_uris": ["https://rp.example.test/cb"],
        "token_endpoint_auth_method": "none",
        "id_token_signed_response_alg": "HS256"
    }))
    .unwrap();

    let refused = metadata.validate();

    assert!(refused.unwrap_err().to_string().contains("HS256"));
}

#[tokio::test]
async fn token_lifetimes_registered_for_a_client_override_the_defaults() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("Bea").await;
    let metadata =
        serde_json::json!({ "access_token_lifetime_secs": 60, "id_token_lifetime_secs": 120 });
    let rp = RelyingParty::register(&app, metadata).await;
    let attempt = rp.start(&["openid"]);
    let callback = Browser::new(&app.address)
        .authorize(&attempt.url, "bea", TEST_PASSWORD)
        .await;

    // Act
    let tokens = rp
        .exchange(&query_param(&callback, "code").unwrap(), attempt.verifier)
        .await
        .unwrap();

    // Assert
    assert_eq!(tokens.expires_in().map(|d| d.as_secs()), Some(60));
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&rp.client.id_token_verifier(), &attempt.nonce)
        .unwrap();
    let lifetime = claims.expiration().timestamp() - claims.issue_time().timestamp();
    assert_eq!(lifetime, 120);
}
