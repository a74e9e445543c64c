//! What the admin tests share: an admin signed in to the console over plain
//! HTTP, tokens for the admin API, and reading the audit log.

use porteiro::storage::models::audit_event::{AuditEvent, AuditFilter};
use reqwest::header::LOCATION;
use secrecy::ExposeSecret;

use crate::browser::{Browser, Page};
use crate::helpers::TestApp;
use crate::oauth_client::TestClient;

/// Every admin scope.
pub const ALL_SCOPES: &str = "admin:clients admin:users admin:sessions admin:keys admin:audit";

/// A browser signed in to the console as the first admin (`admin`, with the
/// password the server generated on its first start).
pub async fn console_as_first_admin(app: &TestApp) -> Browser {
    let password = app
        .first_admin_password
        .as_ref()
        .expect("a first admin on a fresh database")
        .expose_secret()
        .to_owned();
    console_as(app, "admin", &password).await
}

/// A browser signed in through `/login?next=/admin`, on the console's start.
pub async fn console_as(app: &TestApp, username: &str, password: &str) -> Browser {
    let browser = Browser::new(&app.address);
    let login = browser
        .open(&format!("{}/login?next=/admin", app.address))
        .await
        .page();
    let csrf = login.field("csrf_token").expect("a CSRF token");
    let next = login.field("next").expect("the return path is kept");
    let landed = browser
        .submit(
            &login,
            &[
                ("request", ""),
                ("next", &next),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
        .page();
    assert_eq!(landed.url.path(), "/admin", "{}", landed.html);
    assert_eq!(landed.status, 200);
    browser
}

/// Creates `username` with [`TEST_PASSWORD`] and the `admin` role.
pub async fn create_admin(app: &TestApp, username: &str) {
    use porteiro::domain::Role;
    use porteiro::users::{PasswordHasher, Users};

    app.create_user(username).await;
    let users = Users::new(app.db.clone(), PasswordHasher::new(2), app.clock.clone());
    users
        .set_roles(username, &[Role::parse("admin").unwrap()])
        .await
        .unwrap();
}

/// Opens a console page.
pub async fn open(browser: &Browser, app: &TestApp, path: &str) -> Page {
    browser.open(&format!("{}{path}", app.address)).await.page()
}

/// Posts a console form to `path` with the CSRF token of `page` added, and
/// follows the answer.
pub async fn post(
    browser: &Browser,
    app: &TestApp,
    page: &Page,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = page.field("csrf_token").expect("a CSRF token on the page");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    form.extend_from_slice(fields);
    post_raw(browser, app, path, &form).await
}

/// Posts exactly `fields` to `path`.
pub async fn post_raw(
    browser: &Browser,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let response = browser
        .http
        .post(format!("{}{path}", app.address))
        .form(fields)
        .send()
        .await
        .unwrap();
    if response.status().is_redirection() {
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        return open(browser, app, &location).await;
    }
    let (url, status) = (response.url().clone(), response.status().as_u16());
    let html = response.text().await.unwrap();
    Page { url, status, html }
}

/// A confidential client allowed `scopes`, for the client credentials grant.
pub async fn automation_client(app: &TestApp, scopes: &str) -> TestClient {
    TestClient::register(
        app,
        serde_json::json!({
            "client_name": "Automation",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "scope": scopes,
        }),
    )
    .await
}

/// An access token from the client credentials grant carrying `scopes`.
pub async fn api_token(app: &TestApp, scopes: &str) -> String {
    let client = automation_client(app, scopes).await;
    client
        .token(&[("grant_type", "client_credentials"), ("scope", scopes)])
        .await
        .token("access_token")
}

/// An access token of `username` (who has `TEST_PASSWORD`) with `scopes`,
/// from the code flow through a first-party client allowed them.
pub async fn user_token(app: &TestApp, username: &str, scopes: &str) -> String {
    let client = TestClient::register(
        app,
        serde_json::json!({
            "client_name": "Admin tool",
            "first_party": true,
            "scope": format!("openid {scopes}"),
        }),
    )
    .await;
    client
        .tokens(app, username, &format!("openid {scopes}"))
        .await
        .token("access_token")
}

/// Calls the admin API.
pub async fn api(
    app: &TestApp,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let url = format!("{}/api/admin/v1{path}", app.address);
    let mut request = app.http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// Every audit event, newest first, as (actor, action, target).
pub async fn audit_log(app: &TestApp) -> Vec<(String, String, String)> {
    let rows = app
        .db
        .run(|conn| AuditEvent::search(conn, &AuditFilter::default(), 10_000))
        .await
        .unwrap();
    rows.into_iter()
        .map(|e| (e.actor, e.action, e.target.unwrap_or_default()))
        .collect()
}

/// Whether the audit log holds this event.
pub async fn audited(app: &TestApp, actor: &str, action: &str, target: &str) -> bool {
    audit_log(app)
        .await
        .iter()
        .any(|(a, act, t)| a == actor && act == action && t == target)
}

/// A path of the route table with each `{parameter}` filled with `value`.
pub fn filled(path: &str, value: &str) -> String {
    path.split('/')
        .map(|part| match part.starts_with('{') {
            true => value,
            false => part,
        })
        .collect::<Vec<_>>()
        .join("/")
}
