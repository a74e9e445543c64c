//! The admin console in headless Chromium: an admin signs in, registers a
//! confidential client, copies its secret from the page; a relying party
//! built with the `openidconnect` crate completes the code flow with it for
//! a person in a second Chromium; the admin ends that person's session from
//! the console, and the person's next `prompt=none` request gets
//! `login_required`. Screenshots go to `test-output/admin_browser/` (and the
//! person's to `test-output/admin_browser_person/`).

use fantoccini::{Client, Locator};
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use porteiro::clients::{ClientSecrets, Clients};
use porteiro::secret::ServerSecret;
use secrecy::{ExposeSecret, SecretString};

use crate::browser::query_param;
use crate::browser_flow::Callback;
use crate::chromium::{self, Chromedriver, PHONE, open_login, resize_viewport, wait_for};
use crate::helpers::{TEST_PASSWORD, TEST_SECRET, TestApp, spawn_app};
use crate::oauth_client::userinfo;
use crate::relying_party::RelyingParty;

const OUTPUT: &str = "admin_browser";
/// The person's browser keeps its chromedriver log and screenshots apart.
const PERSON_OUTPUT: &str = "admin_browser_person";

#[tokio::test]
async fn an_admin_registers_a_client_in_the_console_and_ends_a_persons_session() {
    // Arrange
    let driver = Chromedriver::start(OUTPUT).await;
    let person_driver = Chromedriver::start(PERSON_OUTPUT).await;
    let (app, _db) = spawn_app().await;
    let alice = app.create_user("Alice").await;
    let mut callback = Callback::listen().await;
    let admin = driver.session().await;
    let person = person_driver.session().await;
    let password = app
        .first_admin_password
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();

    // Act 1: the admin signs in on the way to the console.
    let login = open_login(&admin, &format!("{}/admin", app.address)).await;
    chromium::screenshot(&admin, OUTPUT, "sign-in.png").await;
    login.sign_in("admin", &password).await;
    wait_for(&admin, "nav.admin-nav").await;
    chromium::screenshot(&admin, OUTPUT, "overview.png").await;

    // Act 2: registers a confidential client and copies what the page shows.
    let (client_id, secret) = register_client(&admin, &app, &callback.redirect_uri).await;

    // Act 3: a relying party uses it for the person's code flow, in a
    // Chromium of the person's own.
    let registered = registered(&app, &client_id, &secret).await;
    let rp = RelyingParty::discover_with(&app, registered, &callback.redirect_uri).await;
    let attempt = rp.start(&["openid", "profile"]);
    let login = open_login(&person, &attempt.url).await;
    login.sign_in("alice", TEST_PASSWORD).await;
    let allow = wait_for(&person, "button[name=decision][value=allow]").await;
    chromium::screenshot(&person, PERSON_OUTPUT, "consent.png").await;
    allow.click().await.expect("the allow button clicks");
    let redirect = callback.next().await;
    let code = query_param(&redirect, "code").expect("a code");
    let tokens = rp
        .exchange(&code, attempt.verifier)
        .await
        .expect("the code is redeemed");
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&rp.client.id_token_verifier(), &attempt.nonce)
        .expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), alice.id);
    let access = tokens.access_token().secret().clone();
    assert_eq!(userinfo(&app, &access).await.status(), 200);

    // Act 4: the admin ends the person's session from the console.
    end_session_of(&admin, &app, &alice.id).await;

    // Assert: the person's next silent request needs a sign-in, and the
    // tokens of the ended session are revoked.
    let silent = rp.start(&["openid"]);
    person
        .goto(&format!("{}&prompt=none", silent.url))
        .await
        .expect("the silent request opens");
    let answer = callback.next().await;
    assert_eq!(
        query_param(&answer, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(
        query_param(&answer, "state"),
        Some(silent.state.secret().clone())
    );
    assert_eq!(userinfo(&app, &access).await.status(), 401);
    person.close().await.expect("the person's browser ends");

    admin
        .goto(&format!("{}/admin/audit", app.address))
        .await
        .unwrap();
    wait_for(&admin, "tr.audit-event").await;
    chromium::screenshot(&admin, OUTPUT, "audit.png").await;
    look_at_the_console_on_a_phone(&admin, &app).await;
    admin.close().await.expect("the browser session ends");
}

/// Fills the registration form as a person would and reads the result.
async fn register_client(admin: &Client, app: &TestApp, redirect_uri: &str) -> (String, String) {
    admin
        .goto(&format!("{}/admin/clients/new", app.address))
        .await
        .unwrap();
    let name = wait_for(admin, "input[name=client_name]").await;
    name.send_keys("Console RP").await.unwrap();
    let uris = wait_for(admin, "textarea[name=redirect_uris]").await;
    uris.send_keys("https://rp.example/cb#fragment")
        .await
        .unwrap();
    chromium::screenshot(admin, OUTPUT, "register-form.png").await;
    submit(admin).await;

    // The refused URI is marked beside its field; the admin corrects it.
    let error = wait_for(admin, "#redirect_uris-error").await;
    assert!(error.text().await.unwrap().contains("fragment"));
    chromium::screenshot(admin, OUTPUT, "register-refused.png").await;
    let uris = wait_for(admin, "textarea[name=redirect_uris]").await;
    uris.clear().await.unwrap();
    uris.send_keys(redirect_uri).await.unwrap();
    submit(admin).await;

    let id = wait_for(admin, "#client-id").await.text().await.unwrap();
    let secret = wait_for(admin, "#client-secret")
        .await
        .text()
        .await
        .unwrap();
    let issuer = wait_for(admin, "#issuer").await.text().await.unwrap();
    chromium::screenshot(admin, OUTPUT, "registered.png").await;
    assert_eq!(issuer, app.address);
    assert!(secret.len() >= 40, "a secret of 256 bits");
    (id, secret)
}

async fn submit(admin: &Client) {
    let button = wait_for(admin, "form button.button-primary").await;
    button.click().await.unwrap();
}

/// The client as stored, with the secret the admin copied.
async fn registered(app: &TestApp, id: &str, secret: &str) -> porteiro::clients::RegisteredClient {
    let hasher = ClientSecrets::new(&ServerSecret::new(SecretString::from(
        TEST_SECRET.to_owned(),
    )));
    let mut client = Clients::new(app.db.clone(), hasher, app.clock.clone())
        .find(id)
        .await
        .unwrap();
    assert_eq!(client.token_endpoint_auth_method, "client_secret_basic");
    client.client_secret = Some(secret.to_owned());
    client
}

async fn end_session_of(admin: &Client, app: &TestApp, user_id: &str) {
    admin
        .goto(&format!("{}/admin/sessions?user={user_id}", app.address))
        .await
        .unwrap();
    wait_for(admin, "button[name=session]").await;
    chromium::screenshot(admin, OUTPUT, "sessions.png").await;
    admin
        .find(Locator::Css("button[name=session]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(admin, "#ended").await;
    let heading = wait_for(admin, "main h1").await.text().await.unwrap();
    chromium::screenshot(admin, OUTPUT, "session-ended.png").await;
    assert_eq!(heading, "Sessions ended");
}

/// The client list on a phone-sized screen must not scroll sideways: its
/// table scrolls inside the card instead.
async fn look_at_the_console_on_a_phone(admin: &Client, app: &TestApp) {
    resize_viewport(admin, PHONE).await;
    for (path, name) in [
        ("/admin/clients/new", "phone-form.png"),
        ("/admin/keys", "phone-keys.png"),
    ] {
        admin.goto(&format!("{}{path}", app.address)).await.unwrap();
        wait_for(admin, "nav.admin-nav").await;
        let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
        // Negative when a vertical scroll bar takes part of the width.
        let overflow = admin.execute(overflow, vec![]).await.unwrap();
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{path} is wider than a phone"
        );
        chromium::screenshot(admin, OUTPUT, name).await;
    }
}
