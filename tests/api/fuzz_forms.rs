//! Every troublemaker in every field of the requests `fuzz` does not reach:
//! the sign-in, consent, logout and account forms, `/userinfo`,
//! `/introspect` and `/revoke`. Each value replaces one field of a valid
//! request, once encoded and once raw (so `%`, `&` and `=` break the
//! encoding). Nothing answers 5xx; pages answer with a page, the OAuth
//! endpoints with JSON errors, `/userinfo` with a Bearer challenge.

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::json;

use porteiro::oidc::throttle::WINDOW_SECS;

use crate::browser::{Browser, Page};
use crate::fuzz::TROUBLEMAKERS;
use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, spawn_app};
use crate::oauth_client::TestClient;

const FORM: &str = "application/x-www-form-urlencoded";
const POST_LOGOUT_URI: &str = "http://127.0.0.1:9/signed-out";

/// How an answer to a bad request must look.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// A page for a person, or a redirect.
    Page,
    /// RFC 6749 §5.2: an error is JSON with an `error` member.
    OAuthJson,
    /// RFC 6750 §3: an error carries a `WWW-Authenticate` challenge.
    Bearer,
}

/// A valid request's fields.
type Fields = Vec<(&'static str, String)>;

/// One troublemaker in place of one field.
struct Replacement {
    name: &'static str,
    value: &'static str,
    raw: bool,
}

impl Replacement {
    /// Every troublemaker in each of the fields `names`, encoded and raw.
    fn all(names: &[&'static str]) -> Vec<Replacement> {
        let mut all = Vec::new();
        for &name in names {
            for &value in TROUBLEMAKERS {
                all.extend([false, true].map(|raw| Replacement { name, value, raw }));
            }
        }
        all
    }

    /// `fields` as a form body with this field's value replaced: encoded
    /// like the rest, or raw.
    fn body(&self, fields: &Fields) -> String {
        let encode = |n: &str, v: &str| serde_urlencoded::to_string([(n, v)]).unwrap();
        fields
            .iter()
            .map(|(n, v)| match (*n == self.name, self.raw) {
                (true, true) => format!("{n}={}", self.value),
                (true, false) => encode(n, self.value),
                (false, _) => encode(n, v),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    fn what(&self) -> String {
        format!("{}={:?} (raw: {})", self.name, self.value, self.raw)
    }
}

/// Every field of `fields` replaced by every troublemaker: what each case
/// is, and its body.
fn cases(fields: &Fields) -> Vec<(String, String)> {
    let names: Vec<&'static str> = fields.iter().map(|(name, _)| *name).collect();
    Replacement::all(&names)
        .iter()
        .map(|case| (case.what(), case.body(fields)))
        .collect()
}

async fn assert_answer(response: reqwest::Response, expected: Answer, what: &str) {
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap_or_default().to_owned())
    };
    let (content_type, challenge) = (header(CONTENT_TYPE), header(WWW_AUTHENTICATE));
    let body = response.text().await.unwrap_or_default();

    assert!(status < 500, "{status} for {what}: {body}");
    if status < 400 {
        return;
    }
    match expected {
        Answer::Page => assert!(
            content_type.is_some_and(|t| t.starts_with("text/html")),
            "{status} for {what} is not a page: {body}"
        ),
        Answer::OAuthJson => {
            let json: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{status} for {what} is not JSON ({e}): {body}"));
            assert!(json["error"].is_string(), "{status} for {what}: {body}");
        }
        Answer::Bearer => assert!(
            challenge.is_some_and(|c| c.starts_with("Bearer")),
            "{status} for {what} has no Bearer challenge: {body}"
        ),
    }
}

async fn post(browser: &Browser, url: &str, body: String) -> reqwest::Response {
    browser
        .http
        .post(url)
        .header(CONTENT_TYPE, FORM)
        .body(body)
        .send()
        .await
        .expect("the server answers")
}

/// A page's form fields, and where the form posts.
fn form(page: &Page, names: &[&'static str]) -> (String, Fields) {
    let action = page.url.join(&page.form_action()).unwrap().to_string();
    let fields = names
        .iter()
        .map(|&name| {
            let value = page.field(name).unwrap_or_else(|| panic!("a {name} field"));
            (name, value)
        })
        .collect();
    (action, fields)
}

async fn signed_in(app: &TestApp, client: &TestClient) -> Browser {
    let browser = Browser::new(&app.address);
    browser
        .authorize(&client.request("openid").url(app), "alice", TEST_PASSWORD)
        .await;
    browser
}

/// Every troublemaker in each field of the form at `url`: the `hidden`
/// ones, read from a fresh page for every case, and the `typed` ones as a
/// person fills them. `before_each` runs before each page is opened.
async fn sweep_page_form(
    browser: &Browser,
    url: &str,
    hidden: &[&'static str],
    typed: &[(&'static str, &str)],
    before_each: impl Fn(),
) {
    let names: Vec<&'static str> = hidden
        .iter()
        .chain(typed.iter().map(|(n, _)| n))
        .copied()
        .collect();
    for case in Replacement::all(&names) {
        before_each();
        let page = browser.open(url).await.page();
        let (action, mut fields) = form(&page, hidden);
        fields.extend(typed.iter().map(|(n, v)| (*n, (*v).to_owned())));

        // Act
        let response = post(browser, &action, case.body(&fields)).await;

        // Assert
        assert_answer(response, Answer::Page, &case.what()).await;
    }
}

/// A server with alice and one client registered with `metadata`.
async fn server(metadata: serde_json::Value) -> (TestApp, TestDb, TestClient) {
    let (app, db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, metadata).await;
    (app, db, client)
}

#[tokio::test]
async fn no_troublemaker_in_a_sign_in_field_gets_a_5xx() {
    // Arrange
    let (app, _db, client) = server(json!({})).await;
    let browser = Browser::new(&app.address);
    let url = client.request("openid").url(&app);
    let typed = [("username", "alice"), ("password", TEST_PASSWORD)];
    // Past the failures the cases before counted, so the lock-out does not
    // answer every later case.
    let after_the_window = || app.clock.advance(WINDOW_SECS + 1);

    // Act and assert
    sweep_page_form(
        &browser,
        &url,
        &["request", "csrf_token"],
        &typed,
        after_the_window,
    )
    .await;
}

#[tokio::test]
async fn no_troublemaker_in_a_consent_field_gets_a_5xx() {
    // Arrange
    let (app, _db, client) = server(json!({})).await;
    let browser = signed_in(&app, &client).await;
    // Asked every time, so no case's answer skips the next case's page.
    let request = client.request("openid profile").set("prompt", "consent");
    let typed = [("decision", "allow")];

    // Act and assert
    sweep_page_form(
        &browser,
        &request.url(&app),
        &["request", "csrf_token"],
        &typed,
        || {},
    )
    .await;
}

#[tokio::test]
async fn no_troublemaker_in_a_logout_parameter_gets_a_5xx() {
    // Arrange
    let metadata = json!({ "post_logout_redirect_uris": [POST_LOGOUT_URI] });
    let (app, _db, client) = server(metadata).await;
    let id_token = client
        .tokens(&app, "alice", "openid")
        .await
        .token("id_token");
    let valid: Fields = vec![
        ("id_token_hint", id_token),
        ("client_id", client.id().to_owned()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI.to_owned()),
        ("state", "s".to_owned()),
        ("ui_locales", "pt-BR".to_owned()),
    ];
    let browser = signed_in(&app, &client).await;

    // Act and assert: the request a relying party sends.
    for (what, query) in cases(&valid) {
        let url = format!("{}/logout?{query}", app.address);
        let response = browser.http.get(&url).send().await.unwrap();
        assert_answer(response, Answer::Page, &what).await;
    }

    // Act and assert: the confirmation form a person posts.
    let url = format!("{}/logout", app.address);
    let page = browser.open(&url).await.page();
    let (action, mut fields) = form(&page, &["csrf_token"]);
    fields.push(("logout", "yes".to_owned()));
    for (what, body) in cases(&fields) {
        let response = post(&browser, &action, body).await;
        assert_answer(response, Answer::Page, &what).await;
    }
}

#[tokio::test]
async fn no_troublemaker_in_an_account_sessions_field_gets_a_5xx() {
    // Arrange
    let (app, _db, client) = server(json!({})).await;
    let browser = signed_in(&app, &client).await;
    let page = browser
        .open(&format!("{}/account", app.address))
        .await
        .page();
    let (_, fields) = form(&page, &["csrf_token", "session"]);
    let action = format!("{}/account/sessions", app.address);

    // Act and assert
    for (what, body) in cases(&fields) {
        assert_answer(post(&browser, &action, body).await, Answer::Page, &what).await;
    }
}

#[tokio::test]
async fn no_troublemaker_in_a_token_endpoint_field_gets_a_5xx() {
    // Arrange
    let metadata = json!({ "token_endpoint_auth_method": "client_secret_post" });
    let (app, _db, client) = server(metadata).await;
    let access_token = client
        .tokens(&app, "alice", "openid")
        .await
        .token("access_token");
    let secret = client.registered.client_secret.clone().unwrap();
    let valid: Fields = vec![
        ("token", access_token.clone()),
        ("token_type_hint", "access_token".to_owned()),
        ("client_id", client.id().to_owned()),
        ("client_secret", secret),
    ];
    let browser = Browser::new(&app.address);

    // Act and assert: introspection, then revocation.
    for path in ["introspect", "revoke"] {
        let url = format!("{}/{path}", app.address);
        for (what, body) in cases(&valid) {
            let what = format!("/{path}: {what}");
            assert_answer(post(&browser, &url, body).await, Answer::OAuthJson, &what).await;
        }
    }

    // Act and assert: the access token in the form body of /userinfo.
    let url = format!("{}/userinfo", app.address);
    let valid: Fields = vec![("access_token", access_token)];
    for (what, body) in cases(&valid) {
        let what = format!("/userinfo: {what}");
        assert_answer(post(&browser, &url, body).await, Answer::Bearer, &what).await;
    }
}
