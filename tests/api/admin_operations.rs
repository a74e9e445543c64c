//! Users, sessions and keys through the admin API (the console's pages for
//! them run the same operations, see `admin_audit` and `admin_browser`).

use reqwest::Method;

use crate::admin_support::{ALL_SCOPES, api, api_token, console_as_first_admin, open, post};
use crate::browser::{Browser, Landing, query_param};
use crate::helpers::{TEST_PASSWORD, spawn_app};
use crate::oauth_client::{TestClient, userinfo};

#[tokio::test]
async fn users_are_created_searched_paged_changed_and_reset_through_the_api() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, "admin:users").await;
    let token = Some(token.as_str());
    for name in ["ann", "anna", "annabel", "bert"] {
        app.create_user(name).await;
    }

    // Act
    let (_, first) = api(&app, token, Method::GET, "/users?q=ann&per_page=2", None).await;
    let (_, second) = api(
        &app,
        token,
        Method::GET,
        "/users?q=ann&per_page=2&page=2",
        None,
    )
    .await;
    let body = serde_json::json!({
        "username": "Erin", "password": "a long enough one", "email": "erin@example.test",
        "roles": ["reader"],
    });
    let (created, erin) = api(&app, token, Method::POST, "/users", Some(body.clone())).await;
    let (taken, _) = api(&app, token, Method::POST, "/users", Some(body)).await;
    let path = format!("/users/{}", erin["id"].as_str().unwrap());
    let change = serde_json::json!({ "name": "Erin E", "email": null, "roles": ["admin"] });
    let (_, changed) = api(&app, token, Method::PATCH, &path, Some(change)).await;
    let bad_email = serde_json::json!({ "email": "not an address" });
    let (refused, error) = api(&app, token, Method::PATCH, &path, Some(bad_email)).await;
    let short = serde_json::json!({ "password": "short" });
    let (too_short, _) = api(
        &app,
        token,
        Method::POST,
        &format!("{path}/password"),
        Some(short),
    )
    .await;
    let (reset, _) = api(
        &app,
        token,
        Method::POST,
        &format!("{path}/password-reset"),
        None,
    )
    .await;
    let (_, after_reset) = api(&app, token, Method::GET, &path, None).await;

    // Assert
    assert_eq!(first["total"], 3);
    let names = |page: &serde_json::Value| -> Vec<String> {
        page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["ann", "anna"]);
    assert_eq!(names(&second), ["annabel"]);
    assert_eq!(created, 201, "{erin}");
    assert_eq!(erin["has_password"], true);
    assert_eq!(taken, 409);
    assert_eq!(changed["name"], "Erin E");
    assert_eq!(changed["email"], serde_json::Value::Null);
    assert_eq!(changed["roles"], serde_json::json!(["admin"]));
    assert_eq!(
        (refused, error["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(too_short, 400);
    assert_eq!(reset, 204);
    assert_eq!(after_reset["has_password"], false);
}

#[tokio::test]
async fn a_forced_reset_stops_password_sign_in_until_a_new_password_is_set() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let frank = app.create_user("frank").await;
    let browser = console_as_first_admin(&app).await;
    let page = open(&browser, &app, &format!("/admin/users/{}", frank.id)).await;

    // Act
    let reset = post(
        &browser,
        &app,
        &page,
        &format!("/admin/users/{}/reset", frank.id),
        &[],
    )
    .await;
    let person = Browser::new(&app.address);
    let login = person.open(&format!("{}/login", app.address)).await.page();
    let refused = person.sign_in(&login, "frank", TEST_PASSWORD).await.page();
    let password = [("password", "the new password")];
    post(
        &browser,
        &app,
        &page,
        &format!("/admin/users/{}/password", frank.id),
        &password,
    )
    .await;
    let login = person.open(&format!("{}/login", app.address)).await.page();
    let accepted = person
        .sign_in(&login, "frank", "the new password")
        .await
        .page();

    // Assert
    assert!(
        reset.html.contains("The password was removed"),
        "{}",
        reset.html
    );
    assert_eq!(refused.status, 401);
    assert_eq!(accepted.url.path(), "/account");
}

#[tokio::test]
async fn ending_a_session_through_the_api_runs_the_normal_logout() {
    // Arrange: a person signed in to a client.
    let (app, _db) = spawn_app().await;
    let gina = app.create_user("gina").await;
    let client = TestClient::register(&app, serde_json::json!({ "first_party": true })).await;
    let person = Browser::new(&app.address);
    let request = client.request("openid");
    let callback = person
        .authorize(&request.url(&app), "gina", TEST_PASSWORD)
        .await;
    let code = query_param(&callback, "code").unwrap();
    let access = client.redeem(&code, &request).await.token("access_token");
    let token = api_token(&app, "admin:sessions").await;
    let token = Some(token.as_str());

    // Act
    let path = format!("/sessions?user_id={}", gina.id);
    let (_, listed) = api(&app, token, Method::GET, &path, None).await;
    let session = listed["sessions"][0]["id"].as_str().unwrap().to_owned();
    let (ended, _) = api(
        &app,
        token,
        Method::DELETE,
        &format!("/sessions/{session}"),
        None,
    )
    .await;
    let (again, _) = api(
        &app,
        token,
        Method::DELETE,
        &format!("/sessions/{session}"),
        None,
    )
    .await;
    let silent = client.request("openid").set("prompt", "none");
    let landing = person.open(&silent.url(&app)).await;

    // Assert
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(listed["sessions"][0]["username"], "gina");
    assert_eq!(
        listed["sessions"][0]["clients"][0],
        client.registered.client_name
    );
    assert_eq!(ended, 204);
    assert_eq!(again, 404);
    let Landing::Redirect(url) = landing else {
        panic!("prompt=none went back to the client")
    };
    assert_eq!(
        query_param(&url, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(userinfo(&app, &access).await.status(), 401);
}

#[tokio::test]
async fn all_of_a_users_sessions_end_at_once() {
    // Arrange: two browsers.
    let (app, _db) = spawn_app().await;
    let hugo = app.create_user("hugo").await;
    for _ in 0..2 {
        let person = Browser::new(&app.address);
        let login = person.open(&format!("{}/login", app.address)).await.page();
        person.sign_in(&login, "hugo", TEST_PASSWORD).await;
    }
    let token = api_token(&app, ALL_SCOPES).await;
    let token = Some(token.as_str());

    // Act
    let path = format!("/users/{}/sessions", hugo.id);
    let (status, ended) = api(&app, token, Method::DELETE, &path, None).await;
    let (_, left) = api(
        &app,
        token,
        Method::GET,
        &format!("/sessions?user_id={}", hugo.id),
        None,
    )
    .await;
    let (unknown, _) = api(&app, token, Method::DELETE, "/users/nobody/sessions", None).await;

    // Assert
    assert_eq!((status, ended["ended"].as_i64()), (200, Some(2)));
    assert!(left["sessions"].as_array().unwrap().is_empty());
    assert_eq!(unknown, 404);
}

#[tokio::test]
async fn keys_are_listed_rotated_and_retired_through_the_api() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, "admin:keys").await;
    let token = Some(token.as_str());
    let (_, before) = api(&app, token, Method::GET, "/keys", None).await;
    let old = before["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RS256")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act
    let rotation = serde_json::json!({ "alg": "RS256" });
    let (_, rotated) = api(&app, token, Method::POST, "/keys/rotate", Some(rotation)).await;
    let new = rotated["created"][0].as_str().unwrap().to_owned();
    let (_, after_rotation) = api(&app, token, Method::GET, "/keys", None).await;
    let (retired, old_key) = api(
        &app,
        token,
        Method::POST,
        &format!("/keys/{old}/retire"),
        None,
    )
    .await;
    let (_, after_retiring) = api(&app, token, Method::GET, "/keys", None).await;
    let (last, _) = api(
        &app,
        token,
        Method::POST,
        &format!("/keys/{new}/retire"),
        None,
    )
    .await;
    let (unknown, _) = api(&app, token, Method::POST, "/keys/nope/retire", None).await;
    let bad = serde_json::json!({ "alg": "HS256" });
    let (bad_alg, _) = api(&app, token, Method::POST, "/keys/rotate", Some(bad)).await;
    let jwks = app.jwks_text().await;

    // Assert
    let state_of = |keys: &serde_json::Value, kid: &str| {
        let key = keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .cloned();
        key.unwrap()["state"].as_str().unwrap().to_owned()
    };
    assert_eq!(state_of(&before, &old), "active");
    assert_eq!(state_of(&after_rotation, &new), "next");
    assert_eq!(retired, 200, "{old_key}");
    assert_eq!(old_key["state"], "retired");
    assert_eq!(state_of(&after_retiring, &old), "retired");
    assert_eq!(state_of(&after_retiring, &new), "active");
    assert_eq!(last, 409);
    assert_eq!(unknown, 404);
    assert_eq!(bad_alg, 400);
    assert!(jwks.contains(&old) && jwks.contains(&new));
}

#[tokio::test]
async fn the_console_lists_users_in_pages_and_finds_them_by_search() {
    // Arrange: more users than a page holds.
    let (app, _db) = spawn_app().await;
    for n in 0..52 {
        app.create_user(&format!("user{n:02}")).await;
    }
    let browser = console_as_first_admin(&app).await;

    // Act
    let first = open(&browser, &app, "/admin/users").await;
    let second = open(&browser, &app, "/admin/users?q=&page=2").await;
    let found = open(&browser, &app, "/admin/users?q=USER07").await;

    // Assert: 53 users with the first admin, 50 a page.
    assert!(first.html.contains("Page 1 of 2 (53)"), "{}", first.html);
    assert!(first.html.contains("rel=\"next\""));
    assert!(!first.html.contains("user51"));
    assert!(second.html.contains("user51") && second.html.contains("rel=\"prev\""));
    assert_eq!(found.html.matches("<td><a href=\"/admin/users/").count(), 1);
    assert!(found.html.contains("user07@example.test"));
}

#[tokio::test]
async fn the_console_ends_all_of_a_users_sessions_and_retires_a_key() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let ida = app.create_user("ida").await;
    let people: Vec<Browser> = (0..2).map(|_| Browser::new(&app.address)).collect();
    for person in &people {
        let login = person.open(&format!("{}/login", app.address)).await.page();
        person.sign_in(&login, "ida", TEST_PASSWORD).await;
    }
    let browser = console_as_first_admin(&app).await;

    // Act
    let list = open(&browser, &app, &format!("/admin/sessions?user={}", ida.id)).await;
    let ended = post(
        &browser,
        &app,
        &list,
        "/admin/sessions/end",
        &[("user", &ida.id)],
    )
    .await;
    let keys = open(&browser, &app, "/admin/keys").await;
    post(
        &browser,
        &app,
        &keys,
        "/admin/keys/rotate",
        &[("alg", "EdDSA")],
    )
    .await;
    let keys = open(&browser, &app, "/admin/keys").await;
    let row = keys
        .html
        .split("<tr>")
        .find(|row| row.contains("<td>EdDSA</td>") && row.contains("<td>active</td>"))
        .unwrap();
    let old = row.split("<td><code>").nth(1).unwrap();
    let old = old[..old.find('<').unwrap()].to_owned();
    let retired = post(
        &browser,
        &app,
        &keys,
        &format!("/admin/keys/{old}/retire"),
        &[],
    )
    .await;

    // Assert
    assert_eq!(list.html.matches("name=\"session\"").count(), 2);
    assert!(ended.html.contains("Sessions ended"));
    for person in &people {
        let account = person
            .open(&format!("{}/account", app.address))
            .await
            .page();
        assert!(account.is_login(), "the session still works");
    }
    assert!(keys.html.contains("next"));
    assert!(
        retired.html.contains("The key no longer signs"),
        "{}",
        retired.html
    );
}
