//! A user's linked upstream identities, seen and removed by an admin through
//! the API and the console: removal is audited, refused for the last way a
//! user without a password has to sign in, and needs `admin:users` (API) or
//! the form's CSRF token (console).

use porteiro::storage::models::upstream_identity::UpstreamIdentity;
use porteiro::storage::models::user::User;
use reqwest::Method;

use crate::admin_support::{
    api, api_token, audit_log, audited, automation_client, console_as_first_admin, open, post,
    post_raw,
};
use crate::federation::{UPSTREAM, WithFake, identities, through_consent};
use crate::helpers::{TestApp, spawn_app};

/// Links an identity at [`UPSTREAM`] to `user_id` straight in the table, for
/// tests where a real sign-in is not the point.
async fn link_identity(app: &TestApp, user_id: &str, subject: &str) -> UpstreamIdentity {
    let row = UpstreamIdentity {
        id: format!("identity-{subject}"),
        user_id: user_id.to_owned(),
        upstream: UPSTREAM.to_owned(),
        subject: subject.to_owned(),
        email: Some(format!("{subject}@corp.example")),
        created_at: 1_700_000_000,
        last_used_at: 1_700_000_100,
    };
    let stored = row.clone();
    app.db
        .run(move |conn| UpstreamIdentity::insert(conn, &stored))
        .await
        .unwrap();
    row
}

/// Signs a new person in through the fake upstream: they get a user made
/// just in time, without a password, and one identity.
async fn user_made_by_upstream(setup: &WithFake) -> User {
    let (landing, attempt) = setup.sign_in().await;
    through_consent(&attempt.browser, landing).await;
    let user_id = identities(&setup.app).await[0].user_id.clone();
    setup
        .app
        .db
        .run(move |conn| User::find(conn, &user_id))
        .await
        .unwrap()
}

fn identities_path(user_id: &str) -> String {
    format!("/users/{user_id}/identities")
}

#[tokio::test]
async fn a_user_signed_in_through_an_upstream_shows_the_identity() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;
    let user = user_made_by_upstream(&setup).await;
    let token = api_token(&setup.app, "admin:users").await;

    // Act
    let path = identities_path(&user.id);
    let (status, body) = api(&setup.app, Some(&token), Method::GET, &path, None).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let listed = body["identities"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{body}");
    assert_eq!(listed[0]["upstream"], UPSTREAM);
    assert_eq!(listed[0]["upstream_label"], "Corp ID");
    assert_eq!(listed[0]["subject"], "fake-subject-1");
    assert_eq!(listed[0]["email"], "fay@example.test");
    assert!(listed[0]["linked_at"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn deleting_an_identity_removes_it_and_is_audited() {
    // Arrange: Ana has a password, so her one identity may go.
    let (app, _db) = spawn_app().await;
    let ana = app.create_user("ana").await;
    let identity = link_identity(&app, &ana.id, "ana-at-corp").await;
    let automation = automation_client(&app, "admin:users").await;
    let token = automation
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "admin:users"),
        ])
        .await
        .token("access_token");

    // Act
    let path = format!("{}/{}", identities_path(&ana.id), identity.id);
    let (status, body) = api(&app, Some(&token), Method::DELETE, &path, None).await;

    // Assert
    assert_eq!(status, 204, "{body}");
    assert!(identities(&app).await.is_empty());
    let actor = format!("client:{}", automation.registered.client_id);
    assert!(
        audited(&app, &actor, "user.identity_unlinked", "ana").await,
        "{:?}",
        audit_log(&app).await
    );
}

#[tokio::test]
async fn removing_the_last_identity_of_a_user_without_a_password_is_a_conflict() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;
    let user = user_made_by_upstream(&setup).await;
    let identity = identities(&setup.app).await.remove(0);
    let token = api_token(&setup.app, "admin:users").await;

    // Act
    let path = format!("{}/{}", identities_path(&user.id), identity.id);
    let (status, body) = api(&setup.app, Some(&token), Method::DELETE, &path, None).await;

    // Assert: refused, and the identity and the log are as they were.
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("last way to sign in"),
        "{body}"
    );
    assert_eq!(identities(&setup.app).await.len(), 1);
    let log = audit_log(&setup.app).await;
    assert!(
        !log.iter()
            .any(|(_, action, _)| action == "user.identity_unlinked")
    );
}

#[tokio::test]
async fn an_unknown_identity_or_user_is_not_found() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let ana = app.create_user("ana").await;
    let token = api_token(&app, "admin:users").await;

    // Act
    let no_identity = format!("{}/nothing-here", identities_path(&ana.id));
    let (identity_status, identity_body) =
        api(&app, Some(&token), Method::DELETE, &no_identity, None).await;
    let no_user = identities_path("nobody");
    let (user_status, user_body) = api(&app, Some(&token), Method::GET, &no_user, None).await;

    // Assert
    assert_eq!(identity_status, 404, "{identity_body}");
    assert_eq!(identity_body["error"], "not_found");
    assert_eq!(user_status, 404, "{user_body}");
    assert_eq!(user_body["error"], "not_found");
}

#[tokio::test]
async fn a_token_without_admin_users_cannot_see_or_remove_identities() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let ana = app.create_user("ana").await;
    let identity = link_identity(&app, &ana.id, "ana-at-corp").await;
    let token = api_token(&app, "admin:sessions").await;

    // Act
    let list = identities_path(&ana.id);
    let (list_status, list_body) = api(&app, Some(&token), Method::GET, &list, None).await;
    let one = format!("{list}/{}", identity.id);
    let (delete_status, delete_body) = api(&app, Some(&token), Method::DELETE, &one, None).await;

    // Assert
    assert_eq!(list_status, 403);
    assert_eq!(list_body["error"], "insufficient_scope");
    assert_eq!(delete_status, 403);
    assert_eq!(delete_body["error"], "insufficient_scope");
    assert_eq!(identities(&app).await.len(), 1);
}

#[tokio::test]
async fn the_console_lists_an_identity_and_its_remove_button_removes_it() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let ana = app.create_user("ana").await;
    let identity = link_identity(&app, &ana.id, "ana-at-corp").await;
    let user_path = format!("/admin/users/{}", ana.id);

    // Act
    let page = open(&browser, &app, &user_path).await;
    let remove = format!("{user_path}/identities/{}/remove", identity.id);
    let after = post(&browser, &app, &page, &remove, &[]).await;

    // Assert: listed with its subject, address and Remove form; then gone.
    assert!(
        page.html.contains("ana-at-corp@corp.example"),
        "{}",
        page.html
    );
    assert!(page.html.contains(&format!("action=\"{remove}\"")));
    let done = app.english().text("admin.done.identity_removed");
    assert!(after.html.contains(done), "{}", after.html);
    assert!(!after.html.contains("ana-at-corp@corp.example"));
    assert!(identities(&app).await.is_empty());
    assert!(audited(&app, "user:admin", "user.identity_unlinked", "ana").await);
}

#[tokio::test]
async fn a_remove_posted_without_its_csrf_token_changes_nothing() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let ana = app.create_user("ana").await;
    let identity = link_identity(&app, &ana.id, "ana-at-corp").await;
    let remove = format!("/admin/users/{}/identities/{}/remove", ana.id, identity.id);

    // Act
    let refused = post_raw(&browser, &app, &remove, &[]).await;

    // Assert
    assert_eq!(refused.status, 403);
    assert_eq!(identities(&app).await.len(), 1);
    let log = audit_log(&app).await;
    assert!(
        !log.iter()
            .any(|(_, action, _)| action == "user.identity_unlinked")
    );
}

#[tokio::test]
async fn the_console_keeps_the_last_identity_of_a_user_without_a_password() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;
    let user = user_made_by_upstream(&setup).await;
    let identity = identities(&setup.app).await.remove(0);
    let browser = console_as_first_admin(&setup.app).await;
    let user_path = format!("/admin/users/{}", user.id);
    let page = open(&browser, &setup.app, &user_path).await;

    // Act
    let remove = format!("{user_path}/identities/{}/remove", identity.id);
    let after = post(&browser, &setup.app, &page, &remove, &[]).await;

    // Assert: the page says why, and the identity is still listed.
    let text = setup.app.english().text("admin.users.identity_last_method");
    assert_eq!(after.alert().as_deref(), Some(text));
    assert!(after.html.contains("fake-subject-1"));
    assert_eq!(identities(&setup.app).await.len(), 1);
}

#[tokio::test]
async fn the_openapi_document_lists_the_identity_endpoints_under_admin_users() {
    // Arrange
    let (app, _db) = spawn_app().await;

    // Act
    let document = app.get_json("/api/admin/v1/openapi.json").await;

    // Assert
    let paths = &document["paths"];
    let list = &paths["/users/{user_id}/identities"]["get"];
    let remove = &paths["/users/{user_id}/identities/{identity_id}"]["delete"];
    assert_eq!(list["operationId"], "list_user_identities");
    assert_eq!(remove["operationId"], "unlink_user_identity");
    for operation in [list, remove] {
        assert_eq!(operation["security"][0]["porteiro"][0], "admin:users");
    }
    assert!(remove["responses"]["409"].is_object());
}
