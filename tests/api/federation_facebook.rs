//! The `facebook` kind against an in-test fake of Facebook's login dialog,
//! token endpoint and Graph API. The fake's Graph answers `/me` only with a
//! valid `appsecret_proof`, computed here independently of the server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use porteiro::config::{UpstreamKind, UpstreamSettings};
use secrecy::SecretString;
use serde_json::json;
use sha2::Sha256;

use crate::browser::{Browser, Page, query_param};
use crate::federation::{
    assert_failure_told_client, free_listener, id_token_claims, identities, message,
    spawn_with_upstream, through_consent, upstream_answer,
};
use crate::helpers::{TestApp, TestDb};
use crate::oauth_client::TestClient;

const APP_ID: &str = "1234567890";
const APP_SECRET: &str = "facebook-app-secret";
const ACCESS_TOKEN: &str = "EAAB-fake-graph-token";
const VERSION: &str = "v19.0";
const NAME: &str = "facebook";

#[derive(Default)]
struct FakeState {
    /// code → PKCE challenge
    codes: HashMap<String, String>,
    valid_proofs: usize,
    graph_fails: bool,
}

struct FakeFacebook {
    base: String,
    state: Arc<Mutex<FakeState>>,
}

impl FakeFacebook {
    async fn start() -> FakeFacebook {
        let listener = free_listener();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(FakeState::default()));
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/dialog/oauth", web::get().to(dialog))
                .route(
                    &format!("/{VERSION}/oauth/access_token"),
                    web::post().to(token),
                )
                .route(&format!("/{VERSION}/me"), web::get().to(me))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeFacebook { base, state }
    }
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
}

/// The login dialog of a person already signed in to Facebook who agrees.
async fn dialog(req: HttpRequest, state: web::Data<Mutex<FakeState>>) -> HttpResponse {
    let q = query(&req);
    assert_eq!(q.get("client_id").map(String::as_str), Some(APP_ID));
    assert!(
        q["scope"].split(' ').any(|s| s == "email"),
        "email is asked for"
    );
    let code = uuid::Uuid::new_v4().simple().to_string();
    state
        .lock()
        .unwrap()
        .codes
        .insert(code.clone(), q["code_challenge"].clone());
    let mut back = url::Url::parse(&q["redirect_uri"]).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q["state"]);
    HttpResponse::Found()
        .insert_header(("Location", back.to_string()))
        .finish()
}

/// The app's id and secret come in the form body, as Facebook expects.
async fn token(
    state: web::Data<Mutex<FakeState>>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let challenge = state.lock().unwrap().codes.remove(field("code"));
    let verified = challenge
        .is_some_and(|c| c == porteiro::oidc::pkce::s256_challenge(field("code_verifier")));
    if field("client_id") != APP_ID || field("client_secret") != APP_SECRET || !verified {
        return HttpResponse::BadRequest().json(json!({ "error": "invalid_grant" }));
    }
    HttpResponse::Ok().json(json!({
        "access_token": ACCESS_TOKEN,
        "token_type": "bearer",
        "expires_in": 5183944,
    }))
}

async fn me(req: HttpRequest, state: web::Data<Mutex<FakeState>>) -> HttpResponse {
    let q = query(&req);
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(ACCESS_TOKEN.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    let proved = q.get("appsecret_proof") == Some(&expected);
    let mut state = state.lock().unwrap();
    if !proved
        || q.get("access_token").map(String::as_str) != Some(ACCESS_TOKEN)
        || state.graph_fails
    {
        return HttpResponse::BadRequest().json(json!({
            "error": { "message": "Invalid appsecret_proof", "type": "OAuthException", "code": 100 }
        }));
    }
    state.valid_proofs += 1;
    assert_eq!(q.get("fields").map(String::as_str), Some("id,name,email"));
    HttpResponse::Ok().json(json!({
        "id": "10001",
        "name": "Fabio Book",
        "email": "fabio@example.test",
    }))
}

fn facebook_upstream(fake: &FakeFacebook) -> UpstreamSettings {
    UpstreamSettings {
        label: "Facebook".into(),
        kind: Some(UpstreamKind::Facebook),
        client_id: APP_ID.into(),
        client_secret: Some(SecretString::from(APP_SECRET.to_owned())),
        graph_version: Some(VERSION.into()),
        graph_url: Some(fake.base.clone()),
        authorization_url: Some(format!("{}/dialog/oauth", fake.base)),
        ..UpstreamSettings::default()
    }
}

async fn start() -> (FakeFacebook, TestApp, TestDb, TestClient) {
    let fake = FakeFacebook::start().await;
    let db = TestDb::new();
    let app =
        spawn_with_upstream(free_listener(), &db, NAME, facebook_upstream(&fake), |_| {}).await;
    let rp = TestClient::register(&app, json!({ "client_name": "Shop" })).await;
    (fake, app, db, rp)
}

#[tokio::test]
async fn a_person_signs_in_with_facebook_and_every_graph_call_carries_the_appsecret_proof() {
    // Arrange
    let (fake, app, _db, rp) = start().await;
    let browser = Browser::new(&app.address);
    let request = rp.request("openid profile email");
    let login = browser.open(&request.url(&app)).await.page();
    assert!(login.html.contains("Continue with Facebook"));

    // Act
    let dialog = click_facebook(&browser, &app, &login).await;
    let callback = upstream_answer(&dialog).await;
    let landing = browser.open(callback.as_str()).await;
    let redirect = through_consent(&browser, landing).await;

    // Assert
    let claims = id_token_claims(&rp, &redirect, &request).await;
    assert_eq!(claims["amr"], json!(["fed"]));
    assert_eq!(claims["idp"], NAME);
    assert_eq!(claims["email"], "fabio@example.test");
    assert_eq!(claims["name"], "Fabio Book");
    assert_eq!(fake.state.lock().unwrap().valid_proofs, 1);
    let stored = identities(&app).await;
    assert_eq!(
        (stored[0].upstream.as_str(), stored[0].subject.as_str()),
        (NAME, "10001")
    );
}

#[tokio::test]
async fn a_graph_api_that_refuses_denies_the_sign_in() {
    let (fake, app, _db, rp) = start().await;
    fake.state.lock().unwrap().graph_fails = true;
    let browser = Browser::new(&app.address);
    let request = rp.request("openid");
    let login = browser.open(&request.url(&app)).await.page();

    let dialog = click_facebook(&browser, &app, &login).await;
    let callback = upstream_answer(&dialog).await;
    let page = browser.open(callback.as_str()).await.page();

    let text = message(&app, "upstream.error.refused", "Facebook");
    assert_failure_told_client(&page, &app, &request, 403, &text, "access_denied");
    assert!(identities(&app).await.is_empty());
}

/// The "Continue with Facebook" button, up to the dialog's URL, which
/// carries an S256 PKCE challenge.
async fn click_facebook(browser: &Browser, app: &TestApp, login: &Page) -> url::Url {
    let start = login.link(&format!("/upstream/{NAME}/start")).unwrap();
    let dialog = browser
        .open(&format!("{}{start}", app.address))
        .await
        .redirect();
    assert_eq!(dialog.path(), "/dialog/oauth");
    assert_eq!(
        query_param(&dialog, "code_challenge_method").as_deref(),
        Some("S256")
    );
    dialog
}
