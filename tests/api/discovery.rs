use crate::helpers::{TestDb, spawn_app_with};

#[tokio::test]
async fn discovery_has_the_required_members_and_the_exact_issuer() {
    // Arrange
    let db = TestDb::new();
    let mut settings = db.settings();
    settings.issuer = "https://id.example.test/tenant-a".to_owned();
    let app = spawn_app_with(settings).await;

    // Act
    let response = app.get("/.well-known/openid-configuration").await;

    // Assert
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["issuer"], "https://id.example.test/tenant-a");
    assert_eq!(
        document["jwks_uri"],
        "https://id.example.test/tenant-a/jwks.json"
    );
    assert_eq!(
        document["subject_types_supported"],
        serde_json::json!(["public"])
    );
    let algs = document["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(
        algs.contains(&serde_json::json!("RS256")),
        "RS256 is required: {algs:?}"
    );
}

#[tokio::test]
async fn discovery_advertises_no_endpoint_that_does_not_exist() {
    // Arrange
    let db = TestDb::new();
    let app = spawn_app_with(db.settings()).await;
    let document = app.get_json("/.well-known/openid-configuration").await;

    // Act and assert: every advertised endpoint URL answers something other than 404.
    for (member, value) in document.as_object().unwrap() {
        if member == "issuer" {
            continue;
        }
        let Some(url) = value.as_str().filter(|v| v.starts_with(&app.address)) else {
            continue;
        };
        let response = app.http.get(url).send().await.unwrap();
        assert_ne!(
            response.status(),
            404,
            "{member} points at {url}, which does not exist"
        );
    }
}

#[tokio::test]
async fn rfc8414_metadata_is_the_same_document() {
    let db = TestDb::new();
    let app = spawn_app_with(db.settings()).await;

    let oidc = app.get_json("/.well-known/openid-configuration").await;
    let oauth = app
        .get_json("/.well-known/oauth-authorization-server")
        .await;

    assert_eq!(oidc, oauth);
}
