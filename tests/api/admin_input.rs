//! Hostile input to the console and the admin API gets a clear refusal,
//! never a 5xx: NUL (which PostgreSQL cannot store), wrong types, junk.

use porteiro::routes::admin::ROUTES;
use porteiro::routes::admin_api::ENDPOINTS;
use reqwest::Method;

use crate::admin_support::{
    ALL_SCOPES, api, api_token, console_as_first_admin, filled, open, post,
};
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_api_answers_hostile_input_with_a_json_error_and_never_a_5xx() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, ALL_SCOPES).await;
    let nul = "a\u{0}b";
    let bodies = [
        serde_json::json!({
            "client_name": nul, "redirect_uris": [format!("https://rp.example/{nul}")],
            "username": nul, "name": nul, "email": nul, "roles": [nul], "password": nul,
            "alg": nul, "scope": nul,
        }),
        serde_json::json!({ "client_name": 5, "redirect_uris": "x", "roles": {}, "disabled": "no" }),
        serde_json::json!("just a string"),
    ];

    for endpoint in ENDPOINTS {
        let method =
            Method::from_bytes(endpoint.method.as_str().to_uppercase().as_bytes()).unwrap();
        for (path, body) in [
            (filled(endpoint.path, "%00"), None),
            (
                format!(
                    "{}?q=%00&user_id=%00&actor=%00&page=x",
                    filled(endpoint.path, "x")
                ),
                None,
            ),
            (filled(endpoint.path, "x"), Some(bodies[0].clone())),
            (filled(endpoint.path, "x"), Some(bodies[1].clone())),
            (filled(endpoint.path, "x"), Some(bodies[2].clone())),
        ] {
            // Act
            let (status, answer) = api(&app, Some(&token), method.clone(), &path, body).await;

            // Assert
            assert!(
                status < 500,
                "{} {path}: {status} {answer}",
                endpoint.operation_id
            );
            if status >= 400 {
                assert!(answer["error"].is_string(), "{path}: {answer}");
                assert!(answer["error_description"].is_string(), "{path}");
            }
        }
    }
}

#[tokio::test]
async fn the_console_answers_hostile_input_with_a_page_and_never_a_5xx() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let page = open(&browser, &app, "/admin/clients/new").await;
    let fields = [
        ("client_name", "a\u{0}b"),
        ("redirect_uris", "https://rp.example/\u{0}"),
        ("grant_types", "authorization_code"),
        ("username", "x\u{0}"),
        ("password", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}"),
        ("alg", "\u{0}"),
        ("session", "\u{0}"),
        ("access_token_lifetime_secs", "ten"),
    ];

    for route in ROUTES {
        for value in ["%00", "x"] {
            // Act
            let path = format!("/admin{}", filled(route.path, value));
            let answer = match route.method {
                "GET" => open(&browser, &app, &format!("{path}?q=%00&since=nope&page=-1")).await,
                _ => post(&browser, &app, &page, &path, &fields).await,
            };

            // Assert
            assert!(
                answer.status < 500,
                "{} {path}: {}",
                route.method,
                answer.html
            );
            assert!(answer.html.starts_with("<!doctype html>"), "{path}");
        }
    }
}
