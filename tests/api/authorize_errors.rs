//! `/authorize` refusing requests: an error page while the client or its
//! redirect URI is unknown (RFC 6749 section 4.1.2.1), the spec's error code
//! at the redirect URI once both are verified, with `state` and `iss`
//! (RFC 9207).

use std::time::Duration;

use reqwest::header::LOCATION;
use serde_json::json;
use url::Url;

use crate::browser::query_param;
use crate::helpers::{TestApp, spawn_app};
use crate::oauth_client::{AuthorizationRequest, REDIRECT_URI, TestClient, location};

/// A client that does not follow redirects.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn get_authorize(app: &TestApp, request: &AuthorizationRequest) -> reqwest::Response {
    http()
        .get(request.url(app))
        .send()
        .await
        .expect("the server answers")
}

async fn post_authorize(app: &TestApp, request: &AuthorizationRequest) -> reqwest::Response {
    http()
        .post(format!("{}/authorize", app.address))
        .form(&request.params)
        .send()
        .await
        .expect("the server answers")
}

/// Asserts a 303 to the registered redirect URI carrying `error`, the
/// request's `state` and our `iss`.
fn assert_error_redirect(
    app: &TestApp,
    response: &reqwest::Response,
    request: &AuthorizationRequest,
    error: &str,
) {
    assert_eq!(response.status(), 303);
    let callback = location(response).expect("a Location");
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some(error),
        "{callback}"
    );
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(app.address.as_str())
    );
    assert_eq!(query_param(&callback, "code"), None);
}

/// Asserts the 400 error page showing `text`, with no way out to a client.
async fn assert_error_page(response: reqwest::Response, text: &str) {
    assert_eq!(response.status(), 400);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(response.headers().get("refresh").is_none());
    let html = response.text().await.expect("a body");
    assert!(html.contains(text), "the page says {text:?}: {html}");
    assert!(!html.contains("http-equiv"), "{html}");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_and_is_never_contacted() {
    // Arrange: the unregistered redirect URI points at a listener of ours.
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let unregistered = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr().unwrap().port()
    );
    let request = client.request("openid").set("redirect_uri", &unregistered);
    let following = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let message = app.english().text("error.invalid_redirect_uri");

    // Act: a browser that follows every redirect, by GET and by POST.
    let by_get = following
        .get(request.url(&app))
        .send()
        .await
        .expect("an answer from the server");
    let by_post = following
        .post(format!("{}/authorize", app.address))
        .form(&request.params)
        .send()
        .await
        .expect("an answer from the server");

    // Assert
    for response in [by_get, by_post] {
        assert_eq!(
            Url::parse(&app.address).unwrap().origin(),
            response.url().origin()
        );
        assert_error_page(response, message).await;
    }
    let contacted = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(
        contacted.is_err(),
        "the unregistered redirect URI was contacted"
    );
}

#[tokio::test]
async fn a_redirect_uri_that_differs_from_the_registered_one_in_any_way_gets_an_error_page() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let variants = [
        format!("{REDIRECT_URI}/"),
        REDIRECT_URI.replace("callback", "Callback"),
        format!("{REDIRECT_URI}?next=elsewhere"),
        REDIRECT_URI.replace("127.0.0.1", "localhost"),
        REDIRECT_URI.replace("http:", "https:"),
    ];
    let message = app.english().text("error.invalid_redirect_uri");

    for variant in variants {
        // Act
        let response = get_authorize(
            &app,
            &client.request("openid").set("redirect_uri", &variant),
        )
        .await;

        // Assert
        assert_error_page(response, message).await;
    }
    let missing = get_authorize(&app, &client.request("openid").without("redirect_uri")).await;
    assert_error_page(missing, message).await;
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let request = client.request("openid").set("client_id", "no-such-client");

    // Act
    let by_get = get_authorize(&app, &request).await;
    let by_post = post_authorize(&app, &request).await;

    // Assert
    let message = app.english().text("error.unknown_client");
    assert_error_page(by_get, message).await;
    assert_error_page(by_post, message).await;
}

#[tokio::test]
async fn a_request_without_client_id_gets_an_error_page() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;

    // Act
    let response = get_authorize(&app, &client.request("openid").without("client_id")).await;

    // Assert
    assert_error_page(response, app.english().text("error.missing_client_id")).await;
}

#[tokio::test]
async fn a_response_type_other_than_code_is_answered_with_unsupported_response_type() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;

    for response_type in [
        "token",
        "id_token",
        "code id_token",
        "id_token token",
        "none",
    ] {
        let request = client.request("openid").set("response_type", response_type);

        // Act
        let by_get = get_authorize(&app, &request).await;
        let by_post = post_authorize(&app, &request).await;

        // Assert
        assert_error_redirect(&app, &by_get, &request, "unsupported_response_type");
        assert_error_redirect(&app, &by_post, &request, "unsupported_response_type");
    }
}

#[tokio::test]
async fn a_public_client_without_pkce_is_answered_with_invalid_request() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({ "token_endpoint_auth_method": "none" })).await;
    let request = client
        .request("openid")
        .without("code_challenge")
        .without("code_challenge_method");

    // Act
    let response = get_authorize(&app, &request).await;

    // Assert
    assert_error_redirect(&app, &response, &request, "invalid_request");
}

#[tokio::test]
async fn the_plain_pkce_method_is_answered_with_invalid_request() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let public = TestClient::register(&app, json!({ "token_endpoint_auth_method": "none" })).await;
    let confidential = TestClient::register(&app, json!({})).await;

    for client in [&public, &confidential] {
        let plain = client.request("openid");
        let plain = plain
            .clone()
            .set("code_challenge", &plain.verifier)
            .set("code_challenge_method", "plain");
        // Without a method the challenge would be plain too (RFC 7636 section 4.3).
        let implied = plain.clone().without("code_challenge_method");

        // Act
        let explicit_answer = get_authorize(&app, &plain).await;
        let implied_answer = get_authorize(&app, &implied).await;

        // Assert
        assert_error_redirect(&app, &explicit_answer, &plain, "invalid_request");
        assert_error_redirect(&app, &implied_answer, &implied, "invalid_request");
    }
}

#[tokio::test]
async fn a_nonce_with_a_nul_character_is_refused_with_invalid_request() {
    // Arrange: no database can store it for the ID token.
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let request = client.request("openid").set("nonce", "n\0nce");

    // Act
    let response = get_authorize(&app, &request).await;

    // Assert
    assert_error_redirect(&app, &response, &request, "invalid_request");
}

#[tokio::test]
async fn request_objects_by_value_or_by_reference_are_answered_as_not_supported() {
    // Arrange: OpenID Connect Core 3.1.2.6 names one error for each.
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let cases = [
        (
            "request",
            "eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.",
            "request_not_supported",
        ),
        (
            "request_uri",
            "https://rp.example/request.jwt",
            "request_uri_not_supported",
        ),
    ];

    for (name, value, error) in cases {
        let request = client.request("openid").set(name, value);

        // Act
        let by_get = get_authorize(&app, &request).await;
        let by_post = post_authorize(&app, &request).await;

        // Assert
        assert_error_redirect(&app, &by_get, &request, error);
        assert_error_redirect(&app, &by_post, &request, error);
    }
}
