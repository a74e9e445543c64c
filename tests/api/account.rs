//! The account page: a person sees their sessions and ends any of them.

use crate::browser::{Browser, Page, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};
use crate::relying_party::RelyingParty;

/// The values of every `name="session"` button on the page.
fn session_buttons(page: &Page) -> Vec<String> {
    page.html
        .match_indices(r#"name="session" value=""#)
        .map(|(at, marker)| {
            let rest = &page.html[at + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Signs in on the account page itself (no relying party involved).
async fn sign_in_to_account(app: &TestApp) -> (Browser, Page) {
    let browser = Browser::new(&app.address);
    let login = browser
        .open(&format!("{}/account", app.address))
        .await
        .page();
    assert!(
        login.is_login(),
        "an anonymous visit is sent to the sign-in form"
    );
    let account = browser.sign_in(&login, "ana", TEST_PASSWORD).await.page();
    assert_eq!(account.url.path(), "/account");
    (browser, account)
}

async fn prompt_none_error(browser: &Browser, rp: &RelyingParty) -> Option<String> {
    let attempt = rp.start(&["openid"]);
    let landed = browser
        .open(&format!("{}&prompt=none", attempt.url))
        .await
        .redirect();
    query_param(&landed, "error")
}

#[tokio::test]
async fn the_account_page_lists_each_browsers_session_and_ending_one_signs_that_browser_out() {
    // Arrange: one browser signed in through a relying party, one on the account page.
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let rp = RelyingParty::register(&app, serde_json::json!({ "client_name": "Ledger" })).await;
    let other = Browser::new(&app.address);
    other
        .authorize(&rp.start(&["openid"]).url, "ana", TEST_PASSWORD)
        .await;
    let (browser, account) = sign_in_to_account(&app).await;

    // Assert: both sessions are listed, with the client the other one used.
    let sessions = session_buttons(&account);
    assert_eq!(
        sessions.iter().filter(|s| *s != "all").count(),
        2,
        "{}",
        account.html
    );
    assert!(account.html.contains("Ledger"));
    assert!(account.html.contains("this browser"));

    // Act: end the other browser's session. This browser's own button is
    // the first after its "this browser" mark.
    let mark = account.html.find("this browser").unwrap();
    let own = session_buttons(&Page {
        html: account.html[mark..].to_owned(),
        ..account.clone()
    })[0]
        .clone();
    let target = sessions
        .iter()
        .find(|id| *id != "all" && **id != own)
        .unwrap()
        .clone();
    let csrf = account.field("csrf_token").unwrap();
    let after = browser
        .submit(&account, &[("csrf_token", &csrf), ("session", &target)])
        .await
        .page();

    // Assert: one session left; the other browser is signed out, this one is not.
    assert_eq!(
        session_buttons(&after)
            .iter()
            .filter(|s| *s != "all")
            .count(),
        1,
        "{}",
        after.html
    );
    assert_eq!(
        prompt_none_error(&other, &rp).await.as_deref(),
        Some("login_required")
    );
    assert!(after.html.contains("this browser"));
}

#[tokio::test]
async fn signing_out_everywhere_ends_this_browsers_session_too() {
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let (browser, account) = sign_in_to_account(&app).await;
    let csrf = account.field("csrf_token").unwrap();

    let landing = browser
        .submit(&account, &[("csrf_token", &csrf), ("session", "all")])
        .await
        .page();

    assert!(
        landing.is_login(),
        "signed out, the account page asks to sign in again"
    );
}

#[tokio::test]
async fn ending_a_session_without_the_csrf_token_changes_nothing() {
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let (browser, account) = sign_in_to_account(&app).await;

    let after = browser.submit(&account, &[("session", "all")]).await.page();

    assert_eq!(after.url.path(), "/account");
    assert!(after.html.contains("this browser"), "still signed in");
}

#[tokio::test]
async fn ending_a_session_on_the_account_page_loads_its_front_channel_frames() {
    use openidconnect::TokenResponse;

    // Arrange: a browser signed in to a relying party with a front-channel URI.
    let (app, _db) = spawn_app().await;
    app.create_user("Ana").await;
    let metadata = serde_json::json!({
        "frontchannel_logout_uri": "https://rp.example.test/frontchannel",
        "frontchannel_logout_session_required": true,
    });
    let rp = RelyingParty::register(&app, metadata).await;
    let browser = Browser::new(&app.address);
    let attempt = rp.start(&["openid"]);
    let callback = browser.authorize(&attempt.url, "ana", TEST_PASSWORD).await;
    let tokens = rp
        .exchange(&query_param(&callback, "code").unwrap(), attempt.verifier)
        .await
        .unwrap();
    let sid = crate::logout::sid_of(&tokens.id_token().unwrap().to_string());
    let account = browser
        .open(&format!("{}/account", app.address))
        .await
        .page();
    let csrf = account.field("csrf_token").unwrap();

    // Act
    let action = account.url.join("/account/sessions").unwrap();
    let response = browser
        .http
        .post(action)
        .form(&[("csrf_token", csrf.as_str()), ("session", "all")])
        .send()
        .await
        .unwrap();

    // Assert: the page frames the relying party with iss and sid, and its CSP
    // allows exactly that origin.
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let expected = url::Url::parse_with_params(
        "https://rp.example.test/frontchannel",
        &[("iss", app.address.as_str()), ("sid", sid.as_str())],
    )
    .unwrap();
    assert!(
        html.contains(&format!(
            r#"<iframe src="{}""#,
            expected.as_str().replace('&', "&#38;")
        )),
        "{html}"
    );
    assert!(csp.contains("frame-src https://rp.example.test;"), "{csp}");
    assert_eq!(
        prompt_none_error(&browser, &rp).await.as_deref(),
        Some("login_required")
    );
}
