//! Who may use the console and the admin API: admins only, with a CSRF
//! token on every form and the right scope on every token.

use porteiro::routes::admin::ROUTES;
use porteiro::routes::admin_api::ENDPOINTS;
use reqwest::Method;

use crate::admin_support::{
    ALL_SCOPES, api, api_token, audit_log, console_as, console_as_first_admin, create_admin,
    filled, open, post, post_raw, user_token,
};
use crate::browser::Browser;
use crate::helpers::{TEST_PASSWORD, spawn_app};

fn method_of(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

#[tokio::test]
async fn every_console_page_answers_403_to_a_person_without_the_admin_role() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let browser = Browser::new(&app.address);
    let login = browser.open(&format!("{}/login", app.address)).await.page();
    browser.sign_in(&login, "alice", TEST_PASSWORD).await.page();

    // Act and assert: every route, with each parameter filled in.
    assert!(ROUTES.len() >= 20);
    for route in ROUTES {
        let url = format!("{}/admin{}", app.address, filled(route.path, "x"));
        let response = browser
            .http
            .request(method_of(route.method), &url)
            .form(&[("csrf_token", "x")])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let html = response.text().await.unwrap();
        assert_eq!(status, 403, "{} {url}", route.method);
        assert!(html.contains("does not have the admin role"), "{url}");
    }
}

#[tokio::test]
async fn a_person_not_signed_in_signs_in_and_comes_back_to_the_console() {
    // Arrange
    let (app, _db) = spawn_app().await;
    create_admin(&app, "root").await;
    let browser = Browser::new(&app.address);

    // Act
    let login = browser
        .open(&format!("{}/admin/users", app.address))
        .await
        .page();
    let csrf = login.field("csrf_token").unwrap();
    let next = login.field("next").unwrap();
    let landed = browser
        .submit(
            &login,
            &[
                ("request", ""),
                ("next", &next),
                ("csrf_token", &csrf),
                ("username", "root"),
                ("password", TEST_PASSWORD),
            ],
        )
        .await
        .page();

    // Assert
    assert!(login.is_login());
    assert_eq!(next, "/admin/users");
    assert_eq!(landed.url.path(), "/admin/users");
    assert_eq!(landed.status, 200);
    assert!(landed.html.contains("root"));
}

#[tokio::test]
async fn the_return_path_after_sign_in_cannot_leave_porteiro() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = Browser::new(&app.address);

    // Act
    let page = browser
        .open(&format!("{}/login?next=//evil.example/admin", app.address))
        .await
        .page();

    // Assert: the form falls back to the account page, which needs no field.
    assert!(page.is_login());
    assert_eq!(page.field("next"), None);
}

#[tokio::test]
async fn every_api_endpoint_refuses_a_token_of_a_person_without_the_admin_role() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let token = user_token(&app, "alice", ALL_SCOPES).await;

    for endpoint in ENDPOINTS {
        // Act
        let path = filled(endpoint.path, "x");
        let method = method_of(&endpoint.method.as_str().to_uppercase());
        let (status, body) = api(&app, Some(&token), method, &path, None).await;

        // Assert
        assert_eq!(status, 403, "{} {path}: {body}", endpoint.operation_id);
        assert_eq!(body["error"], "access_denied", "{path}");
    }
}

#[tokio::test]
async fn an_admins_own_token_reaches_the_api() {
    // Arrange
    let (app, _db) = spawn_app().await;
    create_admin(&app, "root").await;
    let token = user_token(&app, "root", ALL_SCOPES).await;

    // Act
    let (status, body) = api(&app, Some(&token), Method::GET, "/users?q=root", None).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["users"][0]["username"], "root");
}

#[tokio::test]
async fn every_api_endpoint_wants_a_valid_bearer_token() {
    // Arrange
    let (app, _db) = spawn_app().await;

    for endpoint in ENDPOINTS {
        let path = filled(endpoint.path, "x");
        let method = method_of(&endpoint.method.as_str().to_uppercase());

        // Act
        let (missing, _) = api(&app, None, method.clone(), &path, None).await;
        let (forged, body) = api(&app, Some("not-a-token"), method, &path, None).await;

        // Assert
        assert_eq!(missing, 401, "{path}");
        assert_eq!(forged, 401, "{path}");
        assert_eq!(body["error"], "invalid_token", "{path}");
    }
}

#[tokio::test]
async fn a_token_without_the_endpoints_scope_gets_403_insufficient_scope() {
    // Arrange: a token with only the audit scope.
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, "admin:audit").await;

    for endpoint in ENDPOINTS {
        // Act
        let path = filled(endpoint.path, "x");
        let method = method_of(&endpoint.method.as_str().to_uppercase());
        let (status, body) = api(&app, Some(&token), method, &path, None).await;

        // Assert
        if endpoint.scope.as_str() == "admin:audit" {
            assert_eq!(status, 200, "{path}: {body}");
        } else {
            assert_eq!(status, 403, "{path}: {body}");
            assert_eq!(body["error"], "insufficient_scope", "{path}");
        }
    }
    let response = app
        .http
        .get(format!("{}/api/admin/v1/clients", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"admin:clients\""), "{challenge}");
}

#[tokio::test]
async fn a_console_form_without_its_csrf_token_changes_nothing() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let alice = app.create_user("alice").await;
    let browser = console_as_first_admin(&app).await;
    let events_before = audit_log(&app).await.len();
    let status_path = format!("/admin/users/{}/status", alice.id);
    let create = [
        ("client_name", "Forged"),
        ("token_endpoint_auth_method", "client_secret_basic"),
        ("redirect_uris", "https://rp.example/cb"),
        ("grant_types", "authorization_code"),
        ("scope", "openid"),
        ("id_token_signed_response_alg", "RS256"),
    ];

    // Act: no token, then a wrong one.
    let without = post_raw(&browser, &app, "/admin/clients", &create).await;
    let mut wrong = vec![("csrf_token", "0000")];
    wrong.extend_from_slice(&create);
    let with_wrong = post_raw(&browser, &app, "/admin/clients", &wrong).await;
    let disable = [("csrf_token", "0000"), ("disabled", "true")];
    let disabled = post_raw(&browser, &app, &status_path, &disable).await;

    // Assert
    for page in [&without, &with_wrong, &disabled] {
        assert_eq!(page.status, 403);
        assert!(page.html.contains("nothing was changed"), "{}", page.html);
    }
    let clients = open(&browser, &app, "/admin/clients").await;
    assert!(!clients.html.contains("Forged"));
    let user = open(&browser, &app, &format!("/admin/users/{}", alice.id)).await;
    assert!(user.html.contains("enabled"));
    let events_after = audit_log(&app).await.len();
    assert_eq!(events_before, events_after);

    // And with its token, the same form works.
    let new = open(&browser, &app, "/admin/clients/new").await;
    let saved = post(&browser, &app, &new, "/admin/clients", &create).await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    assert!(saved.html.contains("Client registered"));
}

#[tokio::test]
async fn a_disabled_admin_loses_the_console() {
    // Arrange
    let (app, _db) = spawn_app().await;
    create_admin(&app, "root").await;
    let browser = console_as(&app, "root", TEST_PASSWORD).await;

    // Act
    app.disable_user("root").await;
    let page = browser.open(&format!("{}/admin", app.address)).await.page();

    // Assert: a disabled account has no live session, so it must sign in.
    assert!(page.is_login());
}

#[tokio::test]
async fn console_pages_send_the_page_headers_load_nothing_foreign_and_speak_portuguese() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;

    for route in ROUTES
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains('{'))
    {
        // Act
        let url = format!("{}/admin{}", app.address, route.path);
        let response = browser
            .http
            .get(&url)
            .header("Accept-Language", "pt-BR,pt;q=0.9")
            .send()
            .await
            .unwrap();
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let cache = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = response.text().await.unwrap();

        // Assert
        assert_eq!(csp, "default-src 'self'; frame-ancestors 'none'", "{url}");
        assert_eq!(cache, "no-store");
        assert!(html.contains("<html lang=\"pt-BR\">"), "{url}");
        assert!(html.contains("Registro de auditoria"), "{url}");
        assert!(
            !html.contains("<script") && !html.contains(" style="),
            "{url}"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{url}: {html}"
        );
    }
}
