//! Which local user an upstream account signs in as: the same subject is
//! always the same user; an e-mail address links to an existing user only
//! when the upstream is trusted for e-mail and says it verified it; and on
//! the account page a person links and removes upstream accounts, never the
//! last way they have to sign in.

use crate::browser::{Browser, Page};
use crate::federation::{
    UPSTREAM, WithFake, assert_failure_told_client, id_token_claims, identities, message,
    through_consent, upstream_answer, user_count,
};
use crate::helpers::TEST_PASSWORD;

/// Signs in through the fake in a fresh browser and returns the `sub` the
/// client is given, with the browser, now signed in.
async fn subject_of_sign_in(setup: &WithFake) -> (String, Browser) {
    let (landing, attempt) = setup.sign_in().await;
    let callback = through_consent(&attempt.browser, landing).await;
    let claims = id_token_claims(&setup.rp, &callback, &attempt.request).await;
    (claims["sub"].as_str().unwrap().to_owned(), attempt.browser)
}

#[tokio::test]
async fn the_same_upstream_subject_twice_is_one_user() {
    let setup = WithFake::start(|_| {}).await;
    let users_before = user_count(&setup.app).await;

    let (first, _) = subject_of_sign_in(&setup).await;
    let (second, _) = subject_of_sign_in(&setup).await;

    assert_eq!(first, second);
    assert_eq!(user_count(&setup.app).await, users_before + 1);
    assert_eq!(identities(&setup.app).await.len(), 1);
}

#[tokio::test]
async fn an_unverified_email_never_links_to_an_existing_user() {
    // Arrange: a trusted upstream, but it did not verify the address.
    let setup = WithFake::start(|u| u.trust_email = true).await;
    let alice = setup.app.create_user("Alice").await;
    setup.fake.behave(|b| {
        b.email = Some("Alice@Example.test".into());
        b.email_verified = false;
    });

    // Act
    let (subject, _) = subject_of_sign_in(&setup).await;

    // Assert: a new user, not Alice.
    assert_ne!(subject, alice.id);
    assert_eq!(identities(&setup.app).await[0].user_id, subject);
}

#[tokio::test]
async fn an_unverified_email_without_just_in_time_users_gets_no_account() {
    let setup = WithFake::start(|u| {
        u.trust_email = true;
        u.create_users = false;
    })
    .await;
    setup.app.create_user("Alice").await;
    setup.fake.behave(|b| {
        b.email = Some("alice@example.test".into());
        b.email_verified = false;
    });
    let users_before = user_count(&setup.app).await;

    let (landing, attempt) = setup.sign_in().await;

    let text = message(&setup.app, "upstream.error.no_account", "Corp ID");
    let page = landing.page();
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        403,
        &text,
        "access_denied",
    );
    assert_eq!(user_count(&setup.app).await, users_before);
    assert!(identities(&setup.app).await.is_empty());
}

#[tokio::test]
async fn a_verified_email_from_a_trusted_upstream_links_to_the_existing_user() {
    // Arrange
    let setup = WithFake::start(|u| u.trust_email = true).await;
    let alice = setup.app.create_user("Alice").await;
    setup.fake.behave(|b| {
        b.email = Some("ALICE@example.test".into());
        b.email_verified = true;
    });
    let users_before = user_count(&setup.app).await;

    // Act
    let (subject, _) = subject_of_sign_in(&setup).await;

    // Assert
    assert_eq!(subject, alice.id);
    assert_eq!(user_count(&setup.app).await, users_before);
    assert_eq!(identities(&setup.app).await[0].user_id, alice.id);
}

#[tokio::test]
async fn a_verified_email_from_an_untrusted_upstream_does_not_link() {
    let setup = WithFake::start(|u| u.trust_email = false).await;
    let alice = setup.app.create_user("Alice").await;
    setup
        .fake
        .behave(|b| b.email = Some("alice@example.test".into()));

    let (subject, _) = subject_of_sign_in(&setup).await;

    assert_ne!(subject, alice.id);
}

async fn account_page(setup: &WithFake, browser: &Browser) -> Page {
    browser
        .open(&format!("{}/account", setup.app.address))
        .await
        .page()
}

#[tokio::test]
async fn removing_the_last_way_to_sign_in_is_refused() {
    // Arrange: a user made just in time has no password and one identity.
    let setup = WithFake::start(|_| {}).await;
    let (_, browser) = subject_of_sign_in(&setup).await;
    let account = account_page(&setup, &browser).await;
    let identity = account.field("identity").expect("an identity to remove");
    let csrf = account.field("csrf_token").unwrap();

    // Act
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("action", "unlink"),
        ("identity", identity.as_str()),
    ];
    let after = browser.submit(&account, &fields).await.page();

    // Assert
    let text = setup.app.english().text("account.error.last_method");
    assert_eq!(after.alert().as_deref(), Some(text));
    assert_eq!(identities(&setup.app).await.len(), 1);
}

#[tokio::test]
async fn a_person_with_a_password_links_and_removes_an_upstream_on_the_account_page() {
    // Arrange: Bob signs in with his password.
    let setup = WithFake::start(|_| {}).await;
    let bob = setup.app.create_user("Bob").await;
    let browser = Browser::new(&setup.app.address);
    let login = browser
        .open(&format!("{}/login", setup.app.address))
        .await
        .page();
    let account = browser.sign_in(&login, "bob", TEST_PASSWORD).await.page();
    let csrf = account.field("csrf_token").unwrap();

    // Act: link, at the upstream and back.
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("action", "link"),
        ("upstream", UPSTREAM),
    ];
    let to_upstream = browser.submit(&account, &fields).await.redirect();
    let callback = upstream_answer(&to_upstream).await;
    let linked = browser.open(callback.as_str()).await.page();

    // Assert
    assert!(
        linked.html.contains("Linked (fay@example.test)"),
        "{}",
        linked.html
    );
    let stored = identities(&setup.app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].user_id, bob.id);

    // Act: remove it again; the password still signs Bob in.
    let identity = linked.field("identity").unwrap();
    let csrf = linked.field("csrf_token").unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("action", "unlink"),
        ("identity", identity.as_str()),
    ];
    let after = browser.submit(&linked, &fields).await.page();

    // Assert
    assert!(after.alert().is_none());
    assert!(identities(&setup.app).await.is_empty());
}

#[tokio::test]
async fn an_upstream_account_linked_to_someone_else_cannot_be_linked_again() {
    // Arrange: the upstream account already signed in (and got a user).
    let setup = WithFake::start(|_| {}).await;
    subject_of_sign_in(&setup).await;
    setup.app.create_user("Bob").await;
    let browser = Browser::new(&setup.app.address);
    let login = browser
        .open(&format!("{}/login", setup.app.address))
        .await
        .page();
    let account = browser.sign_in(&login, "bob", TEST_PASSWORD).await.page();
    let csrf = account.field("csrf_token").unwrap();

    // Act
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("action", "link"),
        ("upstream", UPSTREAM),
    ];
    let to_upstream = browser.submit(&account, &fields).await.redirect();
    let callback = upstream_answer(&to_upstream).await;
    let page = browser.open(callback.as_str()).await.page();

    // Assert
    let text = message(&setup.app, "upstream.error.linked_to_another", "Corp ID");
    assert_eq!(page.status, 403);
    assert_eq!(page.alert().as_deref(), Some(text.as_str()));
    assert_eq!(page.link("/account").as_deref(), Some("/account"));
    assert_eq!(identities(&setup.app).await.len(), 1);
}

#[tokio::test]
async fn signing_in_through_an_upstream_from_the_account_page_needs_no_client() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;
    let browser = Browser::new(&setup.app.address);
    let login = browser
        .open(&format!("{}/account", setup.app.address))
        .await
        .page();

    // Act
    let to_upstream = crate::federation::click_upstream(&browser, &setup.app, &login).await;
    let callback = upstream_answer(&to_upstream).await;
    let account = browser.open(callback.as_str()).await.page();

    // Assert
    assert_eq!(account.url.path(), "/account");
    assert!(
        account.html.contains("Linked (fay@example.test)"),
        "{}",
        account.html
    );
}

#[tokio::test]
async fn with_the_password_form_hidden_only_the_upstreams_sign_in() {
    // Arrange
    let setup = WithFake::start_with(|_| {}, |s| s.login.password_form = false).await;
    setup.app.create_user("Bob").await;
    let browser = Browser::new(&setup.app.address);
    let request = setup.rp.request("openid");

    // Act
    let login = browser.open(&request.url(&setup.app)).await.page();
    let posted = browser
        .http
        .post(format!("{}/login", setup.app.address))
        .form(&[("username", "bob"), ("password", TEST_PASSWORD)])
        .send()
        .await
        .unwrap();

    // Assert: a button, no password field, and a password post refused.
    assert!(!login.html.contains(r#"name="password""#));
    assert!(login.link(&format!("/upstream/{UPSTREAM}/start")).is_some());
    assert_eq!(posted.status(), 403);
    let text = setup.app.english().text("login.error.no_password_form");
    assert!(posted.text().await.unwrap().contains(text));
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_through_an_upstream() {
    // Arrange: the first sign-in made the user `fay`; an admin disables it.
    let setup = WithFake::start(|_| {}).await;
    subject_of_sign_in(&setup).await;
    setup.app.disable_user("fay").await;

    // Act
    let (landing, attempt) = setup.sign_in().await;

    // Assert
    let text = message(&setup.app, "upstream.error.disabled", "Corp ID");
    let page = landing.page();
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        403,
        &text,
        "access_denied",
    );
}
