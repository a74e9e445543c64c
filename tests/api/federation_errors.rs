//! Every way a sign-in through an upstream can fail, played by the in-test
//! fake upstream: each shows the person a page saying what happened, tells
//! the waiting client (`access_denied` or `temporarily_unavailable`, with
//! its `state` and our `iss`), closes the pending request, and leaves no
//! user, identity or session behind.

use std::time::Duration;

use crate::browser::{Browser, Page};
use crate::fake_upstream::Behaviour;
use crate::federation::{
    Attempt, UPSTREAM, WithFake, assert_failure_told_client, free_listener, identities, message,
    oidc_upstream, pending_is_open, spawn_with_upstream, through_consent, user_count,
};
use crate::helpers::TestDb;
use crate::oauth_client::TestClient;

const LABEL: &str = "Corp ID";

/// A sign-in through a fake behaving as `behave` says, and the page it ends
/// on; with the number of users before it began.
async fn failed_sign_in(behave: impl FnOnce(&mut Behaviour)) -> (WithFake, Attempt, Page, i64) {
    let setup = WithFake::start(|_| {}).await;
    setup.fake.behave(behave);
    let users_before = user_count(&setup.app).await;

    let (landing, attempt) = setup.sign_in().await;

    let page = landing.page();
    (setup, attempt, page, users_before)
}

/// Nothing of the failed sign-in stayed: no user, no identity, no session,
/// and the client's request cannot be finished any more.
async fn assert_nothing_left(setup: &WithFake, attempt: &Attempt, users_before: i64) {
    assert_eq!(user_count(&setup.app).await, users_before);
    assert!(identities(&setup.app).await.is_empty());
    assert!(!pending_is_open(attempt).await);
    let account = attempt
        .browser
        .open(&format!("{}/account", setup.app.address))
        .await;
    assert!(account.page().is_login(), "no session was started");
}

async fn assert_invalid_id_token_is_refused(behave: impl FnOnce(&mut Behaviour)) {
    let (setup, attempt, page, users_before) = failed_sign_in(behave).await;

    let text = message(&setup.app, "upstream.error.invalid", LABEL);
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        502,
        &text,
        "access_denied",
    );
    assert_nothing_left(&setup, &attempt, users_before).await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    assert_invalid_id_token_is_refused(|b| b.nonce_override = Some("not-ours".into())).await;
}

#[tokio::test]
async fn an_id_token_signed_by_a_key_not_in_the_upstreams_jwks_is_refused() {
    assert_invalid_id_token_is_refused(|b| b.rogue_key = true).await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    assert_invalid_id_token_is_refused(|b| b.expired = true).await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    assert_invalid_id_token_is_refused(|b| b.audience_override = Some("someone-else".into())).await;
}

#[tokio::test]
async fn an_error_from_the_upstreams_token_endpoint_denies_the_sign_in() {
    let (setup, attempt, page, users_before) =
        failed_sign_in(|b| b.token_error = Some("invalid_grant".into())).await;

    let text = message(&setup.app, "upstream.error.refused", LABEL);
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        403,
        &text,
        "access_denied",
    );
    assert_nothing_left(&setup, &attempt, users_before).await;
}

#[tokio::test]
async fn a_person_who_cancels_at_the_upstream_is_told_and_the_client_hears_access_denied() {
    let (setup, attempt, page, users_before) =
        failed_sign_in(|b| b.authorize_error = Some("access_denied".into())).await;

    let text = message(&setup.app, "upstream.error.cancelled", LABEL);
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        403,
        &text,
        "access_denied",
    );
    assert_eq!(setup.fake.token_requests(), 0);
    assert_nothing_left(&setup, &attempt, users_before).await;
}

#[tokio::test]
async fn a_slow_upstream_times_out_as_temporarily_unavailable() {
    let (setup, attempt, page, users_before) =
        failed_sign_in(|b| b.token_delay = Some(Duration::from_secs(4))).await;

    let text = message(&setup.app, "upstream.error.unavailable", LABEL);
    let error = "temporarily_unavailable";
    assert_failure_told_client(&page, &setup.app, &attempt.request, 502, &text, error);
    assert_nothing_left(&setup, &attempt, users_before).await;
}

#[tokio::test]
async fn a_callback_whose_state_is_not_the_browsers_is_refused() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;
    let users_before = user_count(&setup.app).await;
    let attempt = setup.start_sign_in().await;
    let mut forged = attempt.callback.clone();
    let code = crate::browser::query_param(&forged, "code").unwrap();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "an-attackers-state");

    // Act
    let page = attempt.browser.open(forged.as_str()).await.page();

    // Assert: the code was never redeemed.
    let text = message(&setup.app, "upstream.error.state", LABEL);
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        400,
        &text,
        "access_denied",
    );
    assert_eq!(setup.fake.token_requests(), 0);
    assert_nothing_left(&setup, &attempt, users_before).await;
}

#[tokio::test]
async fn a_replayed_callback_is_refused_and_issues_nothing() {
    // Arrange: a sign-in that succeeds.
    let setup = WithFake::start(|_| {}).await;
    let attempt = setup.start_sign_in().await;
    let first = attempt.browser.open(attempt.callback.as_str()).await;
    let redirect = through_consent(&attempt.browser, first).await;
    assert!(crate::browser::query_param(&redirect, "code").is_some());

    // Act: the same callback again, in the same browser and in another.
    let again = attempt.browser.open(attempt.callback.as_str()).await.page();
    let elsewhere = Browser::new(&setup.app.address)
        .open(attempt.callback.as_str())
        .await
        .page();

    // Assert: nothing waits any more, so only the page answers.
    let text = message(&setup.app, "upstream.error.unknown_attempt", LABEL);
    for page in [again, elsewhere] {
        assert_eq!(page.status, 400);
        assert_eq!(page.alert().as_deref(), Some(text.as_str()));
        assert!(page.link(crate::oauth_client::REDIRECT_URI).is_none());
    }
    assert_eq!(setup.fake.token_requests(), 1);
    assert_eq!(identities(&setup.app).await.len(), 1);
}

#[tokio::test]
async fn an_unreachable_upstream_is_temporarily_unavailable() {
    // Arrange: an upstream at a port nothing listens on.
    let closed = free_listener();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let db = TestDb::new();
    let upstream = oidc_upstream(&issuer, "porteiro", Some("secret"));
    let app = spawn_with_upstream(free_listener(), &db, UPSTREAM, upstream, |_| {}).await;
    let rp = TestClient::register(&app, serde_json::json!({ "client_name": "Shop" })).await;
    let browser = Browser::new(&app.address);
    let request = rp.request("openid");
    let login = browser.open(&request.url(&app)).await.page();

    // Act: the button cannot even find the upstream's endpoints.
    let start = login.link(&format!("/upstream/{UPSTREAM}/start")).unwrap();
    let page = browser
        .open(&format!("{}{start}", app.address))
        .await
        .page();

    // Assert
    let text = message(&app, "upstream.error.unavailable", LABEL);
    assert_failure_told_client(&page, &app, &request, 502, &text, "temporarily_unavailable");
    assert!(!browser.open(login.url.as_str()).await.page().is_login());
}

#[tokio::test]
async fn a_form_post_client_is_told_of_the_failure_by_a_form() {
    // Arrange
    let setup = WithFake::start(|_| {}).await;
    setup
        .fake
        .behave(|b| b.authorize_error = Some("access_denied".into()));
    let browser = Browser::new(&setup.app.address);
    let request = setup.rp.request("openid").set("response_mode", "form_post");
    let login = browser.open(&request.url(&setup.app)).await.page();

    // Act
    let to_upstream = crate::federation::click_upstream(&browser, &setup.app, &login).await;
    let callback = crate::federation::upstream_answer(&to_upstream).await;
    let page = browser.open(callback.as_str()).await.page();

    // Assert: a form to the redirect URI carries the error.
    assert_eq!(page.status, 403);
    assert_eq!(page.form_action(), crate::oauth_client::REDIRECT_URI);
    assert_eq!(page.field("error").as_deref(), Some("access_denied"));
    assert_eq!(page.field("state").as_deref(), Some(request.state.as_str()));
    assert_eq!(
        page.field("iss").as_deref(),
        Some(setup.app.address.as_str())
    );
}

#[tokio::test]
async fn a_callback_for_an_upstream_that_is_not_configured_is_a_page() {
    let setup = WithFake::start(|_| {}).await;

    let page = Browser::new(&setup.app.address)
        .open(&format!(
            "{}/upstream/nope/callback?code=x&state=y",
            setup.app.address
        ))
        .await
        .page();

    assert_eq!(page.status, 404);
    let text = setup.app.english().text("upstream.error.unknown_upstream");
    assert!(page.html.contains(text));
}

#[tokio::test]
async fn no_troublemaker_in_a_federation_parameter_gets_a_5xx() {
    let setup = WithFake::start(|_| {}).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    for value in crate::fuzz::TROUBLEMAKERS {
        // In each parameter of a callback that has a live attempt, both
        // replacing the parameter and given a second time, unencoded.
        for name in ["code", "state", "error"] {
            let attempt = setup.start_sign_in().await;
            let mut replaced = attempt.callback.clone();
            let pairs: Vec<(String, String)> = replaced
                .query_pairs()
                .filter(|(n, _)| n != name)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            replaced
                .query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair(name, value);
            let twice = format!("{}&{name}={value}", attempt.callback);
            for url in [replaced.to_string(), twice] {
                let status = attempt
                    .browser
                    .http
                    .get(&url)
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert!(status.as_u16() < 500, "{status} for {name}={value:?}");
            }
        }

        // As the pending request of a start, and as an upstream's name.
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        for path in [
            format!("/upstream/corp/start?request={encoded}"),
            format!("/upstream/{encoded}/start"),
            format!("/upstream/{encoded}/callback?code=x&state=y"),
            format!("/upstream/corp/signed-out?state={encoded}"),
            format!("/account?error={encoded}"),
        ] {
            let url = format!("{}{path}", setup.app.address);
            let status = http.get(&url).send().await.unwrap().status();
            assert!(answered(status), "{status} for {path}");
        }
    }
}

/// A status a bad parameter may get: a page or a redirect, never a server
/// error (the fake upstream answers, so nothing is unavailable either).
fn answered(status: reqwest::StatusCode) -> bool {
    [200, 303, 400, 403, 404].contains(&status.as_u16())
}

#[tokio::test]
async fn a_callback_naming_another_issuer_is_refused_as_a_mix_up() {
    // Arrange: the right state, but `iss` says another server answered.
    let setup = WithFake::start(|_| {}).await;
    let users_before = user_count(&setup.app).await;
    let attempt = setup.start_sign_in().await;
    let mut mixed_up = attempt.callback.clone();
    mixed_up
        .query_pairs_mut()
        .append_pair("iss", "https://attacker.example");

    // Act
    let page = attempt.browser.open(mixed_up.as_str()).await.page();

    // Assert: the code was not sent anywhere.
    let text = message(&setup.app, "upstream.error.invalid", LABEL);
    assert_failure_told_client(
        &page,
        &setup.app,
        &attempt.request,
        400,
        &text,
        "access_denied",
    );
    assert_eq!(setup.fake.token_requests(), 0);
    assert_nothing_left(&setup, &attempt, users_before).await;
}
