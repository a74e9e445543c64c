//! Signing in through an upstream in headless Chromium: the login page with
//! its "Continue with …" button, the upstream's own sign-in and consent
//! pages (a second Porteiro server), our consent page, and back to the
//! client. Screenshots of each go to `test-output/federation_browser/`.

use fantoccini::Locator;
use openidconnect::TokenResponse;

use crate::browser::query_param;
use crate::browser_flow::{Callback, register_relying_party};
use crate::chromium::{
    self, Chromedriver, DESKTOP, PHONE, open_login_here, resize_viewport, wait_for,
};
use crate::federation::{UPSTREAM, jwt_claims};
use crate::federation_oidc::Pair;
use crate::helpers::TEST_PASSWORD;

const OUTPUT: &str = "federation_browser";

#[tokio::test]
async fn a_person_signs_in_through_the_upstreams_pages_in_a_real_browser() {
    // Arrange
    let driver = Chromedriver::start(OUTPUT).await;
    let pair = Pair::start(|_| {}).await;
    let mut callback = Callback::listen().await;
    let rp = register_relying_party(&pair.app, &callback.redirect_uri).await;
    let attempt = rp.start(&["openid", "profile", "email"]);
    let browser = driver.session().await;

    // Act: the login page offers the upstream beside the password form.
    browser.goto(&attempt.url).await.expect("the request opens");
    let button = wait_for(&browser, "a.button-upstream").await;
    assert_eq!(button.text().await.unwrap(), "Continue with Corp ID");
    wait_for(&browser, "input[name=password]").await;
    chromium::screenshot(&browser, OUTPUT, "login-with-upstream.png").await;
    look_at_login_on_a_phone(&browser, &attempt.url).await;
    let button = wait_for(&browser, "a.button-upstream").await;
    button.click().await.expect("the button clicks");

    // Act: the upstream's own pages, then ours.
    let upstream_login = open_login_here(&browser).await;
    let at = browser.current_url().await.unwrap();
    assert!(
        at.as_str().starts_with(&pair.upstream_issuer),
        "at the upstream: {at}"
    );
    chromium::screenshot(&browser, OUTPUT, "upstream-login.png").await;
    upstream_login.sign_in("uma", TEST_PASSWORD).await;
    let allow = wait_for(&browser, "button[name=decision][value=allow]").await;
    chromium::screenshot(&browser, OUTPUT, "upstream-consent.png").await;
    allow.click().await.expect("the upstream's allow clicks");
    wait_until_at(&browser, &pair.app.address).await;
    let allow = wait_for(&browser, "button[name=decision][value=allow]").await;
    chromium::screenshot(&browser, OUTPUT, "consent.png").await;
    allow.click().await.expect("our allow clicks");
    let redirect = callback.next().await;

    // Assert: the relying party verifies our ID token, which names the upstream.
    assert_eq!(
        query_param(&redirect, "state").as_deref(),
        Some(attempt.state.secret().as_str())
    );
    let code = query_param(&redirect, "code").expect("a code");
    let tokens = rp
        .exchange(&code, attempt.verifier)
        .await
        .expect("the code is redeemed");
    let id_token = tokens.id_token().expect("an ID token");
    id_token
        .claims(&rp.client.id_token_verifier(), &attempt.nonce)
        .expect("the ID token verifies");
    let claims = jwt_claims(&id_token.to_string());
    assert_eq!(claims["idp"], UPSTREAM);
    assert_eq!(claims["amr"], serde_json::json!(["fed", "pwd"]));

    browser.close().await.expect("the browser session ends");
}

/// The login page with its button on a phone-sized screen, which must not
/// scroll sideways; back to a desktop viewport after.
async fn look_at_login_on_a_phone(browser: &fantoccini::Client, url: &str) {
    resize_viewport(browser, PHONE).await;
    browser.goto(url).await.expect("the request opens");
    wait_for(browser, "a.button-upstream").await;
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
    let overflow = browser.execute(overflow, vec![]).await.expect("a width");
    assert_eq!(overflow, 0, "the sign-in page is wider than a phone");
    chromium::screenshot(browser, OUTPUT, "login-with-upstream-phone.png").await;
    resize_viewport(browser, DESKTOP).await;
    browser.goto(url).await.expect("the request opens");
}

async fn wait_until_at(browser: &fantoccini::Client, origin: &str) {
    let deadline = std::time::Instant::now() + chromium::WAIT;
    loop {
        let url = browser.current_url().await.unwrap();
        if url.as_str().starts_with(origin) && browser.find(Locator::Css("main")).await.is_ok() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never back at {origin}, at {url}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_person_who_denies_at_the_upstream_reads_why_and_returns_to_the_client() {
    // Arrange
    let driver = Chromedriver::start(OUTPUT).await;
    let pair = Pair::start(|_| {}).await;
    let mut callback = Callback::listen().await;
    let rp = register_relying_party(&pair.app, &callback.redirect_uri).await;
    let attempt = rp.start(&["openid"]);
    let browser = driver.session().await;
    browser.goto(&attempt.url).await.expect("the request opens");
    let button = wait_for(&browser, "a.button-upstream").await;
    button.click().await.expect("the button clicks");
    open_login_here(&browser)
        .await
        .sign_in("uma", TEST_PASSWORD)
        .await;

    // Act: Deny on the upstream's consent page.
    let deny = wait_for(&browser, "button[name=decision][value=deny]").await;
    deny.click().await.expect("deny clicks");
    let back = wait_for(&browser, "#back").await;
    chromium::screenshot(&browser, OUTPUT, "denied-at-upstream.png").await;
    let alert = wait_for(&browser, "p.alert").await.text().await.unwrap();
    back.click().await.expect("the way back clicks");
    let redirect = callback.next().await;

    // Assert
    assert_eq!(alert, "You cancelled signing in at Corp ID.");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&redirect, "state").as_deref(),
        Some(attempt.state.secret().as_str())
    );
    assert!(query_param(&redirect, "code").is_none());

    browser.close().await.expect("the browser session ends");
}
