//! Revocation (RFC 7009), introspection (RFC 7662) and the deny-list shared
//! by instances.

use std::time::{Duration, Instant};

use openidconnect::core::CoreTokenResponse;
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use porteiro::clock::Clock;

use crate::browser::{Browser, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, spawn_app, spawn_app_with};
use crate::relying_party::RelyingParty;

/// Signs a user in through a relying party that may refresh; returns both.
async fn signed_in(app: &TestApp) -> (RelyingParty, CoreTokenResponse) {
    app.create_user("Ana").await;
    let metadata = serde_json::json!({ "grant_types": ["authorization_code", "refresh_token"] });
    let rp = RelyingParty::register(app, metadata).await;
    let attempt = rp.start(&["openid", "profile"]);
    let callback = Browser::new(&app.address)
        .authorize(&attempt.url, "ana", TEST_PASSWORD)
        .await;
    let tokens = rp
        .exchange(&query_param(&callback, "code").unwrap(), attempt.verifier)
        .await
        .unwrap();
    (rp, tokens)
}

/// POSTs a form to `path` with the relying party's Basic credentials.
async fn post_as(
    app: &TestApp,
    rp: &RelyingParty,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let secret = rp.registered.client_secret.clone();
    app.http
        .post(format!("{}{path}", app.address))
        .basic_auth(&rp.registered.client_id, secret)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn introspect(app: &TestApp, rp: &RelyingParty, token: &str) -> serde_json::Value {
    let response = post_as(app, rp, "/introspect", &[("token", token)]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn userinfo_status(app: &TestApp, access_token: &str) -> u16 {
    let response = app
        .http
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn refresh(app: &TestApp, rp: &RelyingParty, refresh_token: &str) -> reqwest::Response {
    post_as(
        app,
        rp,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

#[tokio::test]
async fn a_revoked_access_token_is_refused_by_userinfo_and_inactive_in_introspection() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let (rp, tokens) = signed_in(&app).await;
    let access = tokens.access_token().secret().clone();
    assert_eq!(userinfo_status(&app, &access).await, 200);
    assert_eq!(introspect(&app, &rp, &access).await["active"], true);

    // Act
    let revoked = post_as(
        &app,
        &rp,
        "/revoke",
        &[("token", &access), ("token_type_hint", "access_token")],
    )
    .await;

    // Assert
    assert_eq!(revoked.status(), 200);
    assert_eq!(userinfo_status(&app, &access).await, 401);
    assert_eq!(
        introspect(&app, &rp, &access).await,
        serde_json::json!({ "active": false })
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_and_its_whole_family_stop_working() {
    // Arrange: rotate once, so the family has an older and a newer token.
    let (app, _db) = spawn_app().await;
    let (rp, tokens) = signed_in(&app).await;
    let first = tokens.refresh_token().unwrap().secret().clone();
    let rotated: serde_json::Value = refresh(&app, &rp, &first).await.json().await.unwrap();
    let second = rotated["refresh_token"].as_str().unwrap().to_owned();

    // Act: revoke the newest token.
    assert_eq!(
        post_as(&app, &rp, "/revoke", &[("token", &second)])
            .await
            .status(),
        200
    );

    // Assert
    let refused: serde_json::Value = refresh(&app, &rp, &second).await.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant");
    assert_eq!(introspect(&app, &rp, &second).await["active"], false);
    assert_eq!(introspect(&app, &rp, &first).await["active"], false);
}

#[tokio::test]
async fn revoking_an_unknown_token_still_answers_200() {
    let (app, _db) = spawn_app().await;
    let (rp, _tokens) = signed_in(&app).await;

    let response = post_as(&app, &rp, "/revoke", &[("token", "not-a-token-we-issued")]).await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn revocation_and_introspection_need_client_authentication() {
    let (app, _db) = spawn_app().await;
    let (rp, tokens) = signed_in(&app).await;
    let access = tokens.access_token().secret().clone();

    for path in ["/revoke", "/introspect"] {
        let response = app
            .http
            .post(format!("{}{path}", app.address))
            .basic_auth(&rp.registered.client_id, Some("wrong secret"))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{path}");
    }
    assert_eq!(
        userinfo_status(&app, &access).await,
        200,
        "nothing was revoked"
    );
}

#[tokio::test]
async fn introspection_describes_an_active_access_token() {
    let (app, _db) = spawn_app().await;
    let (rp, tokens) = signed_in(&app).await;
    let id_claims = tokens
        .id_token()
        .unwrap()
        .claims(
            &rp.client.id_token_verifier(),
            |_: Option<&openidconnect::Nonce>| Ok(()),
        )
        .unwrap();

    let answer = introspect(&app, &rp, tokens.access_token().secret()).await;

    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], rp.registered.client_id);
    assert_eq!(answer["aud"], rp.registered.client_id);
    assert_eq!(answer["sub"], id_claims.subject().as_str());
    assert_eq!(answer["scope"], "openid profile");
    assert_eq!(answer["iss"], app.address);
    assert_eq!(answer["token_type"], "Bearer");
    assert!(answer["exp"].as_i64().unwrap() > answer["iat"].as_i64().unwrap());
}

#[tokio::test]
async fn expired_and_foreign_tokens_are_inactive() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let (rp, tokens) = signed_in(&app).await;
    let other = spawn_app().await;
    let foreign = other
        .0
        .keys
        .sign(
            porteiro::keys::SigningAlg::ES256,
            "at+jwt",
            br#"{"sub":"x"}"#,
        )
        .unwrap();

    // Act and assert
    assert_eq!(
        introspect(&app, &rp, &foreign).await,
        serde_json::json!({ "active": false })
    );
    app.clock.advance(app_access_lifetime() + 1);
    assert_eq!(
        introspect(&app, &rp, tokens.access_token().secret()).await["active"],
        false
    );
}

fn app_access_lifetime() -> i64 {
    porteiro::config::Settings::default()
        .tokens
        .access_token_lifetime_secs
}

#[tokio::test]
async fn a_bearer_token_with_the_introspect_scope_may_introspect_and_others_may_not() {
    // Arrange: a resource server with the introspect scope, by client credentials.
    let (app, _db) = spawn_app().await;
    let (_rp, tokens) = signed_in(&app).await;
    let api = app
        .register_client(serde_json::json!({
            "grant_types": ["client_credentials"],
            "response_types": [],
            "scope": "introspect",
        }))
        .await;
    let issued: serde_json::Value = app
        .http
        .post(format!("{}/token", app.address))
        .basic_auth(&api.client_id, api.client_secret.clone())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "introspect"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = issued["access_token"].as_str().unwrap();
    let introspect_with = async |bearer: &str| {
        app.http
            .post(format!("{}/introspect", app.address))
            .bearer_auth(bearer)
            .form(&[("token", tokens.access_token().secret().as_str())])
            .send()
            .await
            .unwrap()
    };

    // Act and assert
    let allowed = introspect_with(bearer).await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.json::<serde_json::Value>().await.unwrap()["active"],
        true
    );
    let refused = introspect_with(tokens.access_token().secret()).await;
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn a_revocation_on_one_instance_is_honoured_by_another_within_two_seconds() {
    // Arrange: two instances of one issuer on one database.
    let db = TestDb::new();
    let first = spawn_app_with(db.settings()).await;
    let mut settings = db.settings();
    settings.issuer = first.address.clone();
    let second = spawn_app_with(settings).await;
    let (rp, tokens) = signed_in(&first).await;
    let access = tokens.access_token().secret().clone();
    assert_eq!(userinfo_status(&second, &access).await, 200);

    // Act
    let revoked_at = Instant::now();
    post_as(&first, &rp, "/revoke", &[("token", &access)]).await;

    // Assert: the documented bound is one refresh interval (one second) plus a query.
    while userinfo_status(&second, &access).await != 401 {
        assert!(
            revoked_at.elapsed() < Duration::from_secs(2),
            "the second instance still accepts the token"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_purge_job_deletes_expired_codes_tokens_and_deny_list_entries() {
    // Arrange: a signed-in user whose tokens were then revoked.
    let (app, db) = spawn_app().await;
    let (rp, tokens) = signed_in(&app).await;
    post_as(
        &app,
        &rp,
        "/revoke",
        &[("token", tokens.access_token().secret())],
    )
    .await;
    let settings = db.settings();

    // Act: purge once everything has long expired.
    let later = app.clock.now()
        + settings.tokens.refresh_token_lifetime_secs
        + settings.max_signed_token_lifetime_secs()
        + 1;
    let purged = porteiro::jobs::purge::purge(&app.db, &settings, later)
        .await
        .unwrap();

    // Assert
    assert_eq!(purged.deny_list, 1);
    assert_eq!(purged.refresh_tokens, 1);
    assert_eq!(purged.codes, 1);
    assert_eq!(purged.sessions, 1);
    let again = porteiro::jobs::purge::purge(&app.db, &settings, later)
        .await
        .unwrap();
    assert_eq!(again, porteiro::jobs::purge::Purged::default());
}
