//! Sign-ins through an upstream are security events like password
//! sign-ins: the audit table holds the success (with the upstream), the
//! failure, the user made just in time, and the links and removals people
//! make on `/account`.

use porteiro::storage::models::audit_event::{AuditEvent, AuditFilter};
use porteiro::storage::models::user::User;
use serde_json::Value;

use crate::browser::Browser;
use crate::federation::{UPSTREAM, WithFake, identities, through_consent, upstream_answer};
use crate::helpers::{TEST_PASSWORD, TestApp};

/// The events of `action`, newest first.
async fn events(app: &TestApp, action: &str) -> Vec<AuditEvent> {
    let filter = AuditFilter {
        action: Some(action.to_owned()),
        ..AuditFilter::default()
    };
    app.db
        .run(move |conn| AuditEvent::search(conn, &filter, 100))
        .await
        .unwrap()
}

fn detail(event: &AuditEvent) -> Value {
    serde_json::from_str(&event.detail).unwrap()
}

/// The username of the one user the upstream's account is linked to.
async fn linked_username(app: &TestApp) -> String {
    let user_id = identities(app).await[0].user_id.clone();
    let user = app
        .db
        .run(move |conn| User::find(conn, &user_id))
        .await
        .unwrap();
    user.username
}

#[tokio::test]
async fn a_sign_in_through_an_upstream_is_audited_with_the_upstream() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;

    // Act
    let (landing, attempt) = setup.sign_in().await;
    through_consent(&attempt.browser, landing).await;

    // Assert
    let username = linked_username(&setup.app).await;
    let succeeded = events(&setup.app, "signin.succeeded").await;
    assert_eq!(succeeded.len(), 1, "{succeeded:?}");
    assert_eq!(succeeded[0].actor, format!("user:{username}"));
    assert_eq!(succeeded[0].target.as_deref(), Some(username.as_str()));
    assert_eq!(detail(&succeeded[0])["upstream"], UPSTREAM);
}

#[tokio::test]
async fn a_user_made_just_in_time_is_audited_as_created_by_the_upstream() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;

    // Act: the first sign-in makes the user, the second finds it.
    for _ in 0..2 {
        let (landing, attempt) = setup.sign_in().await;
        through_consent(&attempt.browser, landing).await;
    }

    // Assert
    let username = linked_username(&setup.app).await;
    let created = events(&setup.app, "user.created").await;
    let by_upstream: Vec<_> = created
        .iter()
        .filter(|e| e.target.as_deref() == Some(username.as_str()))
        .collect();
    assert_eq!(by_upstream.len(), 1, "{created:?}");
    assert_eq!(by_upstream[0].actor, format!("upstream:{UPSTREAM}"));
    assert_eq!(events(&setup.app, "signin.succeeded").await.len(), 2);
}

#[tokio::test]
async fn a_failed_sign_in_through_an_upstream_is_audited_with_its_reason() {
    // Arrange: no user may be made, and none has this account.
    let setup = WithFake::start(|u| u.create_users = false).await;

    // Act
    let (landing, _attempt) = setup.sign_in().await;

    // Assert
    assert_eq!(landing.page().status, 403);
    let failed = events(&setup.app, "signin.failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].actor, "anonymous");
    assert_eq!(detail(&failed[0])["upstream"], UPSTREAM);
    assert_eq!(detail(&failed[0])["reason"], "no_account");
    assert!(events(&setup.app, "signin.succeeded").await.is_empty());
}

#[tokio::test]
async fn linking_and_removing_an_upstream_on_the_account_page_are_audited() {
    // Arrange: Bob signs in with his password.
    let setup = WithFake::start(|_| {}).await;
    setup.app.create_user("Bob").await;
    let browser = Browser::new(&setup.app.address);
    let login = browser
        .open(&format!("{}/login", setup.app.address))
        .await
        .page();
    let account = browser.sign_in(&login, "bob", TEST_PASSWORD).await.page();

    // Act: link at the upstream, then remove the link.
    let csrf = account.field("csrf_token").unwrap();
    let link = [
        ("csrf_token", csrf.as_str()),
        ("action", "link"),
        ("upstream", UPSTREAM),
    ];
    let to_upstream = browser.submit(&account, &link).await.redirect();
    let callback = upstream_answer(&to_upstream).await;
    let linked = browser.open(callback.as_str()).await.page();
    let (identity, csrf) = (
        linked.field("identity").unwrap(),
        linked.field("csrf_token").unwrap(),
    );
    let unlink = [
        ("csrf_token", csrf.as_str()),
        ("action", "unlink"),
        ("identity", identity.as_str()),
    ];
    browser.submit(&linked, &unlink).await.page();

    // Assert
    for action in ["user.identity_linked", "user.identity_unlinked"] {
        let recorded = events(&setup.app, action).await;
        assert_eq!(recorded.len(), 1, "{action}: {recorded:?}");
        assert_eq!(recorded[0].actor, "user:Bob");
        assert_eq!(detail(&recorded[0])["upstream"], UPSTREAM);
    }
}
