use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::JwkSet;
use porteiro::clock::Clock;
use porteiro::keys::{Sealer, SigningAlg};
use porteiro::secret::ServerSecret;
use secrecy::SecretString;

use crate::helpers::{TEST_SECRET, TestApp, TestDb, spawn_app, spawn_app_with};

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn published_kids(jwks: &str) -> Vec<String> {
    let set = JwkSet::from_bytes(jwks.as_bytes()).expect("the JWKS parses with josekit");
    set.keys()
        .iter()
        .map(|k| k.key_id().unwrap().to_owned())
        .collect()
}

/// Verifies `token` against the JWKS the server publishes.
async fn verify_with_published_key(
    app: &TestApp,
    alg: SigningAlg,
    token: &str,
) -> serde_json::Value {
    let set = JwkSet::from_bytes(app.jwks_text().await.as_bytes()).unwrap();
    let kid = kid_of(token);
    let jwk = set
        .get(&kid)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{kid} is published"));
    assert_eq!(jwk.algorithm(), Some(alg.as_str()));
    assert_eq!(jwk.key_use(), Some("sig"));
    let verifier = alg.verifier(jwk).unwrap();
    let (payload, header) = josekit::jws::deserialize_compact(token, verifier.as_ref())
        .expect("the signature verifies");
    assert_eq!(header.token_type(), Some("JWT"));
    serde_json::from_slice(&payload).unwrap()
}

async fn wait_until(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tokens_signed_by_the_key_store_verify_with_the_published_key_of_each_algorithm() {
    let (app, _db) = spawn_app().await;

    for alg in SigningAlg::ALL {
        let token = app.keys.sign(alg, "JWT", br#"{"sub":"alice"}"#).unwrap();

        let claims = verify_with_published_key(&app, alg, &token).await;

        assert_eq!(claims["sub"], "alice", "{alg}");
    }
}

#[tokio::test]
async fn jwks_lists_one_key_per_algorithm_with_kid_kty_alg_and_use() {
    let (app, _db) = spawn_app().await;

    let response = app.get("/jwks.json").await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age=")
    );
    let jwks: serde_json::Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    algs.sort();
    assert_eq!(algs, ["ES256", "EdDSA", "PS256", "RS256"]);
    for key in keys {
        for member in ["kid", "kty", "alg", "use"] {
            assert!(key.get(member).is_some(), "{member} missing in {key}");
        }
        assert!(key.get("d").is_none(), "a private part is published: {key}");
    }
}

#[tokio::test]
async fn keys_persist_across_a_restart_on_the_same_database() {
    // Arrange
    let db = TestDb::new();
    let first = spawn_app_with(db.settings()).await;
    let before = first.jwks_text().await;
    let token = first.keys.sign(SigningAlg::ES256, "JWT", b"{}").unwrap();
    first.stop().await;

    // Act
    let second = spawn_app_with(db.settings()).await;

    // Assert
    assert_eq!(second.jwks_text().await, before);
    verify_with_published_key(&second, SigningAlg::ES256, &token).await;
    let again = second.keys.sign(SigningAlg::ES256, "JWT", b"{}").unwrap();
    assert_eq!(kid_of(&again), kid_of(&token));
}

#[tokio::test]
async fn two_servers_started_together_on_one_database_serve_identical_jwks() {
    let db = TestDb::new();

    let (a, b) = tokio::join!(spawn_app_with(db.settings()), spawn_app_with(db.settings()));

    let (jwks_a, jwks_b) = (a.jwks_text().await, b.jwks_text().await);
    assert_eq!(jwks_a, jwks_b);
    assert_eq!(
        published_kids(&jwks_a).len(),
        SigningAlg::ALL.len(),
        "one key per algorithm: {jwks_a}"
    );
    let admins = [&a, &b]
        .iter()
        .filter(|app| app.first_admin_password.is_some())
        .count();
    assert_eq!(admins, 1, "exactly one instance creates the first admin");
}

#[tokio::test]
async fn rotation_publishes_the_new_key_before_it_signs_and_keeps_the_old_one_published() {
    // Arrange
    let db = TestDb::new();
    let settings = db.settings();
    let delay = settings.keys.rotation_delay_secs;
    let lifetime = settings.max_signed_token_lifetime_secs();
    let app = spawn_app_with(settings).await;
    let old_kid = kid_of(&app.keys.sign(SigningAlg::ES256, "JWT", b"{}").unwrap());
    let old_token = app.keys.sign(SigningAlg::ES256, "JWT", b"{}").unwrap();

    // Act: rotate as `porteiro keys rotate` does.
    let sealer = Sealer::new(&ServerSecret::new(SecretString::from(
        TEST_SECRET.to_owned(),
    )));
    let now = app.clock.now();
    let new_kid = app
        .db
        .run(move |conn| {
            porteiro::keys::rotate(conn, &sealer, SigningAlg::ES256, now, delay, lifetime)
        })
        .await
        .unwrap();

    // Assert: published at once, not yet signing.
    wait_until("the new key is published", async || {
        published_kids(&app.jwks_text().await).contains(&new_kid)
    })
    .await;
    let token = app.keys.sign(SigningAlg::ES256, "JWT", b"{}").unwrap();
    assert_eq!(
        kid_of(&token),
        old_kid,
        "the new key signs before the delay has passed"
    );

    // Assert: after the delay the new key signs and the old one stays published.
    app.clock.advance(delay + 1);
    wait_until("the new key signs", async || {
        kid_of(&app.keys.sign(SigningAlg::ES256, "JWT", b"{}").unwrap()) == new_kid
    })
    .await;
    assert!(published_kids(&app.jwks_text().await).contains(&old_kid));
    verify_with_published_key(&app, SigningAlg::ES256, &old_token).await;

    // Assert: once every token the old key signed has expired, it leaves the JWKS.
    app.clock.advance(lifetime);
    wait_until("the old key is unpublished", async || {
        !published_kids(&app.jwks_text().await).contains(&old_kid)
    })
    .await;
}

#[tokio::test]
async fn a_server_with_another_secret_refuses_to_start_on_existing_keys() {
    let db = TestDb::new();
    spawn_app_with(db.settings()).await.stop().await;
    let mut settings = db.settings();
    settings.server_secret = Some(SecretString::from(
        "another-secret-another-secret-another-secret".to_owned(),
    ));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let clock = porteiro::clock::ManualClock::starting_now();
    let outcome = porteiro::startup::Application::build_on(listener, settings, clock).await;

    let error = format!("{:#}", outcome.err().expect("the start fails"));
    assert!(error.contains("server secret"), "{error}");
}
