//! What the database holds: nothing that signs, logs in or authenticates a
//! client by being read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use porteiro::clients::{ClientMetadata, ClientSecrets, Clients};
use porteiro::clock::ManualClock;
use porteiro::domain::Username;
use porteiro::keys::{Sealer, SigningAlg};
use porteiro::secret::ServerSecret;
use porteiro::storage::models::client::Client;
use porteiro::storage::models::signing_key::SigningKeyRow;
use porteiro::storage::models::user::User;
use porteiro::users::{NewUser, PasswordHasher, Users};
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{TEST_SECRET, spawn_app};

#[tokio::test]
async fn the_database_holds_no_private_key_password_or_client_secret_in_plaintext() {
    // Arrange: a user with a known password and a client with a known secret.
    let (mut app, db) = spawn_app().await;
    let password = "a-memorable-password-1234";
    let clock = ManualClock::starting_now();
    let users = Users::new(app.db.clone(), PasswordHasher::new(1), clock.clone());
    let new_user = NewUser {
        username: Username::parse("dora").unwrap(),
        password: Some(SecretString::from(password.to_owned())),
        name: None,
        email: None,
        roles: vec![],
    };
    users.create(new_user).await.unwrap();
    let hasher = ClientSecrets::new(&ServerSecret::new(SecretString::from(
        TEST_SECRET.to_owned(),
    )));
    let metadata = ClientMetadata {
        redirect_uris: vec!["https://rp.example.test/cb".into()],
        ..Default::default()
    };
    let registered = Clients::new(app.db.clone(), hasher, clock)
        .register(&metadata)
        .await
        .unwrap();
    let client_secret = registered.client_secret.unwrap();
    let admin_password = app.first_admin_password.take().unwrap();

    // Act: read the tables directly.
    let users = app.db.run(User::list).await.unwrap();
    let clients = app.db.run(Client::list).await.unwrap();
    let keys = app.db.run(SigningKeyRow::all).await.unwrap();

    // Assert
    for user in &users {
        let hash = user.password_hash.as_deref().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{}", user.username);
        assert!(!hash.contains(password) && !hash.contains(admin_password.expose_secret()));
    }
    for client in &clients {
        let stored = client.secret_hash.as_deref().unwrap();
        assert!(!stored.contains(&client_secret));
    }
    for key in &keys {
        assert_private_key_is_sealed(key);
    }
    if let Some(path) = db.sqlite_path() {
        let raw = std::fs::read(path).unwrap();
        for secret in [password, admin_password.expose_secret(), &client_secret] {
            assert!(
                !contains(&raw, secret.as_bytes()),
                "the database file holds a secret in plaintext"
            );
        }
    }
}

fn assert_private_key_is_sealed(key: &SigningKeyRow) {
    let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).unwrap();
    for private_member in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(
            jwk.get(private_member).is_none(),
            "{} publishes `{private_member}`",
            key.kid
        );
    }
    // Opened with the server secret, the row gives a usable private key;
    // the stored bytes hold no run of it. (Parsing the sealed bytes
    // themselves as DER would read random lengths and may abort.)
    let secret = ServerSecret::new(SecretString::from(TEST_SECRET.to_owned()));
    let private_der = Sealer::new(&secret)
        .open(&key.kid, &key.sealing_key_id, &key.sealed_private_key)
        .unwrap();
    let alg = SigningAlg::parse(&key.alg).unwrap();
    let opens = match alg {
        SigningAlg::RS256 => josekit::jws::RS256.key_pair_from_der(&private_der).is_ok(),
        SigningAlg::PS256 => josekit::jws::PS256.key_pair_from_der(&private_der).is_ok(),
        SigningAlg::ES256 => josekit::jws::ES256.key_pair_from_der(&private_der).is_ok(),
        SigningAlg::EdDSA => josekit::jws::EdDSA.key_pair_from_der(&private_der).is_ok(),
    };
    assert!(opens, "{} does not open to its private key", key.kid);
    let stored = STANDARD.decode(&key.sealed_private_key).unwrap();
    assert!(
        !private_der.windows(16).any(|run| contains(&stored, run)),
        "{} is stored as a usable private key",
        key.kid
    );
    assert!(!key.sealed_private_key.contains("PRIVATE KEY"));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
