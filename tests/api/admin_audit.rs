//! The audit log: every change through the console or the API is in it with
//! who made it, and so are the security events; the console filters it.

use reqwest::Method;

use crate::admin_support::{
    ALL_SCOPES, api, api_token, audit_log, audited, console_as_first_admin, open, post,
};
use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::oauth_client::TestClient;

#[tokio::test]
async fn every_console_change_is_in_the_audit_log_with_its_admin() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let admin = "user:admin";

    // Act: one change of every kind.
    let new = open(&browser, &app, "/admin/clients/new").await;
    let form = [
        ("client_name", "Audited"),
        ("token_endpoint_auth_method", "client_secret_basic"),
        ("redirect_uris", "https://rp.example/cb"),
        ("grant_types", "authorization_code"),
        ("scope", "openid"),
        ("require_pkce", "1"),
        ("id_token_signed_response_alg", "RS256"),
    ];
    let saved = post(&browser, &app, &new, "/admin/clients", &form).await;
    let client_id = saved.html.split("id=\"client-id\">").nth(1).unwrap();
    let client_id = client_id[..client_id.find('<').unwrap()].to_owned();
    let client_path = format!("/admin/clients/{client_id}");
    post(&browser, &app, &new, &client_path, &form).await;
    post(&browser, &app, &new, &format!("{client_path}/secret"), &[]).await;
    post(&browser, &app, &new, &format!("{client_path}/delete"), &[]).await;

    let user_form = [("username", "bob"), ("roles", "reader"), ("password", "")];
    let user_page = post(&browser, &app, &new, "/admin/users", &user_form).await;
    let user_path = user_page.url.path().to_owned();
    let profile = [
        ("name", "Bob B"),
        ("email", "bob@example.test"),
        ("roles", "reader x"),
    ];
    post(&browser, &app, &new, &user_path, &profile).await;
    post(
        &browser,
        &app,
        &new,
        &format!("{user_path}/status"),
        &[("disabled", "true")],
    )
    .await;
    post(
        &browser,
        &app,
        &new,
        &format!("{user_path}/status"),
        &[("disabled", "false")],
    )
    .await;
    let password = [("password", "a new password")];
    post(
        &browser,
        &app,
        &new,
        &format!("{user_path}/password"),
        &password,
    )
    .await;
    post(&browser, &app, &new, &format!("{user_path}/reset"), &[]).await;
    post(
        &browser,
        &app,
        &new,
        "/admin/keys/rotate",
        &[("alg", "ES256")],
    )
    .await;

    // Assert
    assert_eq!(user_page.status, 200, "{}", user_page.html);
    for (action, target) in [
        ("client.created", client_id.as_str()),
        ("client.updated", &client_id),
        ("client.secret_regenerated", &client_id),
        ("client.deleted", &client_id),
        ("user.created", "bob"),
        ("user.updated", "bob"),
        ("user.roles_changed", "bob"),
        ("user.disabled", "bob"),
        ("user.enabled", "bob"),
        ("user.password_set", "bob"),
        ("user.password_reset", "bob"),
    ] {
        assert!(
            audited(&app, admin, action, target).await,
            "{action} {target}"
        );
    }
    let log = audit_log(&app).await;
    assert!(
        log.iter()
            .any(|(a, act, _)| a == admin && act == "key.rotated")
    );

    // The console's page shows them too, with where they came from.
    let page = open(&browser, &app, "/admin/audit?action=user.disabled").await;
    assert_eq!(page.html.matches("class=\"audit-event\"").count(), 1);
    assert!(page.html.contains("user:admin"));
    assert!(page.html.contains("127.0.0.1"));
    let by_actor = open(&browser, &app, "/admin/audit?actor=nobody-at-all").await;
    assert_eq!(by_actor.html.matches("class=\"audit-event\"").count(), 0);
    let future = open(&browser, &app, "/admin/audit?since=2999-01-01").await;
    assert_eq!(future.html.matches("class=\"audit-event\"").count(), 0);
    let bad = open(&browser, &app, "/admin/audit?since=yesterday").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn every_api_change_is_in_the_audit_log_with_its_client() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, ALL_SCOPES).await;
    let token = Some(token.as_str());

    // Act
    let metadata =
        serde_json::json!({ "client_name": "Via API", "redirect_uris": ["https://a.example/cb"] });
    let (_, client) = api(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(metadata.clone()),
    )
    .await;
    let id = client["client_id"].as_str().unwrap().to_owned();
    api(
        &app,
        token,
        Method::PUT,
        &format!("/clients/{id}"),
        Some(metadata),
    )
    .await;
    api(
        &app,
        token,
        Method::POST,
        &format!("/clients/{id}/secret"),
        None,
    )
    .await;
    api(&app, token, Method::DELETE, &format!("/clients/{id}"), None).await;
    let new_user = serde_json::json!({ "username": "carol", "roles": ["reader"] });
    let (_, user) = api(&app, token, Method::POST, "/users", Some(new_user)).await;
    let user_path = format!("/users/{}", user["id"].as_str().unwrap());
    let change = serde_json::json!({ "name": "Carol", "roles": ["reader", "x"], "disabled": true });
    api(&app, token, Method::PATCH, &user_path, Some(change)).await;
    let password = serde_json::json!({ "password": "long enough password" });
    api(
        &app,
        token,
        Method::POST,
        &format!("{user_path}/password"),
        Some(password),
    )
    .await;
    api(
        &app,
        token,
        Method::POST,
        &format!("{user_path}/password-reset"),
        None,
    )
    .await;
    let (_, rotated) = api(
        &app,
        token,
        Method::POST,
        "/keys/rotate",
        Some(serde_json::json!({"alg": "RS256"})),
    )
    .await;

    // Assert: the actor is the automation client, by its id.
    let actor = audit_log(&app)
        .await
        .into_iter()
        .find(|(_, action, target)| action == "client.created" && *target == id)
        .map(|(actor, _, _)| actor)
        .unwrap();
    assert!(actor.starts_with("client:"), "{actor}");
    for (action, target) in [
        ("client.created", id.as_str()),
        ("client.updated", &id),
        ("client.secret_regenerated", &id),
        ("client.deleted", &id),
        ("user.created", "carol"),
        ("user.updated", "carol"),
        ("user.roles_changed", "carol"),
        ("user.disabled", "carol"),
        ("user.password_set", "carol"),
        ("user.password_reset", "carol"),
        ("key.rotated", rotated["created"][0].as_str().unwrap()),
    ] {
        assert!(
            audited(&app, &actor, action, target).await,
            "{action} {target}"
        );
    }

    // And the API reads the log back, filtered.
    let path = format!(
        "/audit-events?action=user.created&actor={}",
        actor.replace(':', "%3A")
    );
    let (status, events) = api(&app, token, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(events["events"].as_array().unwrap().len(), 1);
    assert_eq!(events["events"][0]["target"], "carol");
    let (refused, _) = api(&app, token, Method::GET, "/audit-events?action=nope", None).await;
    assert_eq!(refused, 400);
}

#[tokio::test]
async fn security_events_are_in_the_audit_log() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("dave").await;
    let client = TestClient::register(&app, serde_json::json!({ "first_party": true })).await;

    // Act: failed sign-ins, enough of them to lock the account, a sign-in,
    // a code used twice and a revocation.
    let browser = Browser::new(&app.address);
    for _ in 0..6 {
        let login = browser.open(&format!("{}/login", app.address)).await.page();
        browser.sign_in(&login, "dave", "wrong password").await;
    }
    app.clock.advance(3600);
    let (code, request) = client.code(&app, "dave", "openid").await;
    let tokens = client.redeem(&code, &request).await;
    client.redeem(&code, &request).await;
    let access = tokens.token("access_token");
    let revoke = app
        .http
        .post(format!("{}/revoke", app.address))
        .basic_auth(client.id(), client.registered.client_secret.as_deref())
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(revoke.status(), 200);
    let log = audit_log(&app).await;
    let has = |action: &str, target: &str| log.iter().any(|(_, a, t)| a == action && t == target);
    assert!(has("signin.failed", "dave"), "{log:?}");
    assert!(has("signin.locked_out", "dave"), "{log:?}");
    assert!(has("signin.succeeded", "dave"), "{log:?}");
    assert!(log.iter().any(|(_, a, _)| a == "code.reused"), "{log:?}");
    assert!(has("token.revoked", client.id()), "{log:?}");
}

#[tokio::test]
async fn the_first_admin_is_in_the_audit_log_as_made_by_porteiro() {
    // Arrange and act: a fresh database.
    let (app, _db) = spawn_app().await;

    // Assert
    assert!(audited(&app, "system", "user.created", "admin").await);
}

#[tokio::test]
async fn command_line_changes_are_in_the_audit_log_as_made_by_the_cli() {
    // Arrange
    let (app, db) = spawn_app().await;
    let env = db.env();

    // Act
    let created = crate::helpers::run_porteiro(
        db.dir.path(),
        &env,
        &["user", "create", "ivy", "--password-stdin"],
        Some("a long cli password\n"),
    );
    let registered = crate::helpers::run_porteiro(
        db.dir.path(),
        &env,
        &[
            "client",
            "create",
            "--id",
            "cli-app",
            "--redirect-uri",
            "https://rp.example/cb",
        ],
        None,
    );

    // Assert
    assert!(
        created.status.success(),
        "{}",
        crate::helpers::stderr(&created)
    );
    assert!(
        registered.status.success(),
        "{}",
        crate::helpers::stderr(&registered)
    );
    assert!(audited(&app, "cli", "user.created", "ivy").await);
    assert!(audited(&app, "cli", "client.created", "cli-app").await);
}
