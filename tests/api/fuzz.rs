//! Random and malformed requests to `/authorize` and `/token`: never a 5xx,
//! and `/token` always answers an error as JSON with an `error` member.
//!
//! Each property runs a bounded number of cases against one server; the
//! sweeps before them send every value of a list of known troublemakers in
//! every parameter, which random generation would rarely hit.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

use crate::helpers::{TestApp, TestDb, spawn_app};
use crate::oauth_client::{REDIRECT_URI, TestClient};

const CASES: u32 = 64;

/// Values that have broken parsers and databases elsewhere.
pub const TROUBLEMAKERS: &[&str] = &[
    "",
    " ",
    "\0",
    "a\0b",
    "\u{feff}",
    "\u{202e}olleh",
    "😀",
    "\r\n",
    "%",
    "%zz",
    "%00",
    "&=&=",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "-1",
    "99999999999999999999999",
    "openid openid",
    "none login",
    "plain",
];

const AUTHORIZE_NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "ui_locales",
    "request",
    "request_uri",
];

const TOKEN_NAMES: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
];

const CONTENT_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=ISO-8859-1",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/xml",
];

/// One request's parameters, and how they travel.
#[derive(Debug, Clone)]
struct Case {
    params: Vec<(String, String)>,
    /// Send `name=value` pairs unencoded, so `%`, `&` and `=` in values
    /// break the encoding.
    raw: bool,
    content_type: Option<String>,
    authorization: Option<String>,
}

impl Case {
    fn encoded(&self) -> String {
        match self.raw {
            true => self
                .params
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
            false => serde_urlencoded::to_string(&self.params).expect("the parameters encode"),
        }
    }
}

#[derive(Debug, Clone)]
enum Change {
    Drop(usize),
    Duplicate(usize),
    Replace(usize, String),
    Add(String, String),
}

fn value(valid: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(valid),
        3 => select(TROUBLEMAKERS).prop_map(str::to_owned),
        3 => "\\PC{0,40}",
        2 => any::<String>(),
        1 => "[a-zA-Z0-9]{2049,5000}",
    ]
}

fn name(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![4 => select(known).prop_map(str::to_owned), 1 => "\\PC{0,12}"]
}

/// A valid request broken by a few changes, or parameters made up whole.
fn params(
    base: Vec<(String, String)>,
    names: &'static [&'static str],
    valid: Vec<String>,
) -> impl Strategy<Value = Vec<(String, String)>> {
    let change = prop_oneof![
        any::<usize>().prop_map(Change::Drop),
        any::<usize>().prop_map(Change::Duplicate),
        (any::<usize>(), value(valid.clone())).prop_map(|(i, v)| Change::Replace(i, v)),
        (name(names), value(valid.clone())).prop_map(|(n, v)| Change::Add(n, v)),
    ];
    let changed =
        prop::collection::vec(change, 1..5).prop_map(move |changes| apply(base.clone(), changes));
    let invented = prop::collection::vec((name(names), value(valid)), 0..10);
    prop_oneof![3 => changed, 1 => invented]
}

fn apply(mut params: Vec<(String, String)>, changes: Vec<Change>) -> Vec<(String, String)> {
    for change in changes {
        let len = params.len().max(1);
        match change {
            Change::Drop(i) if !params.is_empty() => {
                params.remove(i % len);
            }
            Change::Duplicate(i) if !params.is_empty() => params.push(params[i % len].clone()),
            Change::Replace(i, value) if !params.is_empty() => params[i % len].1 = value,
            Change::Add(name, value) => params.push((name, value)),
            _ => {}
        }
    }
    params
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => select(CONTENT_TYPES).prop_map(|t| Some(t.to_owned())),
        1 => "[ -~]{0,40}".prop_map(Some),
        1 => Just(None),
    ]
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A runtime of the test's own: proptest's runner is synchronous.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// A server with a confidential and a public client.
async fn server() -> (TestApp, TestDb, TestClient, TestClient) {
    let (app, db) = spawn_app().await;
    let confidential = TestClient::register(
        &app,
        json!({ "grant_types": ["authorization_code", "refresh_token", "client_credentials"] }),
    )
    .await;
    let public = TestClient::register(&app, json!({ "token_endpoint_auth_method": "none" })).await;
    (app, db, confidential, public)
}

async fn authorize(
    http: &reqwest::Client,
    app: &TestApp,
    case: &Case,
    post: bool,
) -> Result<u16, TestCaseError> {
    let request = match post {
        true => {
            let mut request = http
                .post(format!("{}/authorize", app.address))
                .body(case.encoded());
            if let Some(content_type) = &case.content_type {
                request = request.header(reqwest::header::CONTENT_TYPE, content_type);
            }
            request
        }
        false => {
            let mut url = url::Url::parse(&format!("{}/authorize", app.address)).unwrap();
            url.set_query(Some(&case.encoded()));
            http.get(url)
        }
    };
    let response = request
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
    let status = response.status().as_u16();
    prop_assert!(status < 500, "{status} for {case:?}");
    Ok(status)
}

async fn token(http: &reqwest::Client, app: &TestApp, case: &Case) -> Result<u16, TestCaseError> {
    let mut request = http
        .post(format!("{}/token", app.address))
        .body(case.encoded());
    if let Some(content_type) = &case.content_type {
        request = request.header(reqwest::header::CONTENT_TYPE, content_type);
    }
    if let Some(authorization) = &case.authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    let response = request
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body = response.text().await.unwrap_or_default();
    prop_assert!(status < 500, "{status} {body} for {case:?}");
    if status != 200 {
        prop_assert!(
            content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/json")),
            "{content_type:?} for {case:?}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
        prop_assert!(json["error"].is_string(), "{body} for {case:?}");
    }
    Ok(status)
}

fn authorize_base(client: &TestClient) -> Vec<(String, String)> {
    client.request("openid profile").params
}

fn token_base(client: &TestClient) -> Vec<(String, String)> {
    let mut base = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), "c0de".to_owned()),
        ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ("code_verifier".to_owned(), "v".repeat(43)),
        ("client_id".to_owned(), client.id().to_owned()),
    ];
    if let Some(secret) = &client.registered.client_secret {
        base.push(("client_secret".to_owned(), secret.clone()));
    }
    base
}

fn valid_values(confidential: &TestClient, public: &TestClient) -> Vec<String> {
    let mut values: Vec<String> = [
        confidential.id(),
        public.id(),
        REDIRECT_URI,
        "code",
        "S256",
        "openid",
        "form_post",
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    .iter()
    .map(|v| (*v).to_owned())
    .collect();
    values.extend(confidential.registered.client_secret.clone());
    values
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

#[tokio::test]
async fn authorize_never_answers_5xx_to_a_troublemaker_in_any_parameter() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(&app, json!({})).await;
    let http = http();

    for name in AUTHORIZE_NAMES {
        for value in TROUBLEMAKERS {
            let request = client.request("openid").set(name, value);
            let encoded = Case {
                params: request.params,
                raw: false,
                content_type: Some(CONTENT_TYPES[0].to_owned()),
                authorization: None,
            };
            let raw = Case {
                raw: true,
                ..encoded.clone()
            };

            // Act and assert
            for case in [encoded, raw] {
                authorize(&http, &app, &case, false).await.unwrap();
                authorize(&http, &app, &case, true).await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn token_answers_json_errors_and_never_5xx_to_a_troublemaker_in_any_parameter() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(
        &app,
        json!({ "token_endpoint_auth_method": "client_secret_post" }),
    )
    .await;
    let http = http();

    for name in TOKEN_NAMES {
        for value in TROUBLEMAKERS {
            let mut params = token_base(&client);
            params.retain(|(n, _)| n != name);
            params.push(((*name).to_owned(), (*value).to_owned()));
            let encoded = Case {
                params,
                raw: false,
                content_type: Some(CONTENT_TYPES[0].to_owned()),
                authorization: None,
            };
            let raw = Case {
                raw: true,
                ..encoded.clone()
            };

            // Act and assert
            token(&http, &app, &encoded).await.unwrap();
            token(&http, &app, &raw).await.unwrap();
        }
    }
}

#[test]
fn authorize_never_answers_5xx_to_random_requests() {
    // Arrange
    let runtime = runtime();
    let (app, _db, confidential, public) = runtime.block_on(server());
    let valid = valid_values(&confidential, &public);
    let bases = prop_oneof![
        Just(authorize_base(&confidential)),
        Just(authorize_base(&public))
    ];
    let cases = (bases, any::<bool>(), content_type(), any::<bool>()).prop_flat_map(
        move |(base, raw, content_type, post)| {
            params(base, AUTHORIZE_NAMES, valid.clone()).prop_map(move |params| {
                (
                    Case {
                        params,
                        raw,
                        content_type: content_type.clone(),
                        authorization: None,
                    },
                    post,
                )
            })
        },
    );
    let http = runtime.block_on(async { http() });

    // Act and assert
    runner()
        .run(&cases, |(case, post)| {
            runtime
                .block_on(authorize(&http, &app, &case, post))
                .map(|_| ())
        })
        .unwrap();
}

#[test]
fn token_answers_json_errors_and_never_5xx_to_random_requests() {
    // Arrange
    let runtime = runtime();
    let (app, _db, confidential, public) = runtime.block_on(server());
    let valid = valid_values(&confidential, &public);
    let secret = confidential.registered.client_secret.clone().unwrap();
    let authorizations = prop_oneof![
        2 => Just(None),
        1 => Just(Some(basic(confidential.id(), &secret))),
        1 => Just(Some(basic(public.id(), ""))),
        1 => "[ -~]{0,60}".prop_map(|v| Some(format!("Basic {v}"))),
        1 => "[ -~]{0,60}".prop_map(Some),
    ];
    let bases = prop_oneof![Just(token_base(&confidential)), Just(token_base(&public))];
    let cases = (bases, any::<bool>(), content_type(), authorizations).prop_flat_map(
        move |(base, raw, content_type, authorization)| {
            params(base, TOKEN_NAMES, valid.clone()).prop_map(move |params| Case {
                params,
                raw,
                content_type: content_type.clone(),
                authorization: authorization.clone(),
            })
        },
    );
    let http = runtime.block_on(async { http() });

    // Act and assert
    runner()
        .run(&cases, |case| {
            runtime.block_on(token(&http, &app, &case)).map(|_| ())
        })
        .unwrap();
}
