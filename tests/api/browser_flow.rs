//! The authorization code flow in headless Chromium, driven over WebDriver
//! through the real sign-in and consent pages, with screenshots of them in
//! `test-output/browser_flow/`.

use fantoccini::Client;
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl, TokenResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use url::Url;

use crate::browser::query_param;
use crate::chromium::{
    self, Chromedriver, DESKTOP, PHONE, WAIT, open_login, page_lang, resize_viewport, wait_for,
};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};
use crate::relying_party::RelyingParty;

/// Where the screenshots go, under `test-output/`.
const OUTPUT: &str = "browser_flow";

#[tokio::test]
async fn a_person_signs_in_and_consents_in_a_real_browser() {
    // Arrange
    let driver = Chromedriver::start(OUTPUT).await;
    let (app, _db) = spawn_app().await;
    let user = app.create_user("Alice").await;
    let mut callback = Callback::listen().await;
    let rp = register_relying_party(&app, &callback.redirect_uri).await;
    let attempt = rp.start(&["openid", "profile", "email"]);
    let browser = driver.session().await;
    look_at_login_in_portuguese_and_on_a_phone(&browser, &attempt.url).await;

    // Act: the person signs in and allows, as a person would.
    let login = open_login(&browser, &attempt.url).await;
    assert_eq!(page_lang(&browser).await, "en");
    chromium::screenshot(&browser, OUTPUT, "login.png").await;
    login.sign_in("alice", TEST_PASSWORD).await;
    let allow = wait_for(&browser, "button[name=decision][value=allow]").await;
    chromium::screenshot(&browser, OUTPUT, "consent.png").await;
    allow.click().await.expect("the allow button clicks");
    let redirect = callback.next().await;

    // Assert: the client gets a code for its state from us, and the relying
    // party redeems it for an ID token the crate verifies.
    assert_eq!(
        query_param(&redirect, "state").as_deref(),
        Some(attempt.state.secret().as_str())
    );
    assert_eq!(
        query_param(&redirect, "iss").as_deref(),
        Some(app.address.as_str())
    );
    let code = query_param(&redirect, "code").expect("a code");
    let tokens = rp
        .exchange(&code, attempt.verifier)
        .await
        .expect("the code is redeemed");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = rp.client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &attempt.nonce)
        .expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), user.id);

    browser.close().await.expect("the browser session ends");
}

/// Screenshots the sign-in page for `authorize_url` asked for in Portuguese,
/// then on a phone-sized screen, where it must not scroll sideways; leaves a
/// desktop viewport again.
async fn look_at_login_in_portuguese_and_on_a_phone(browser: &Client, authorize_url: &str) {
    let login = open_login(browser, &format!("{authorize_url}&ui_locales=pt-BR")).await;
    assert_eq!(page_lang(browser).await, "pt-BR");
    assert_eq!(login.submit.text().await.expect("a label"), "Entrar");
    chromium::screenshot(browser, OUTPUT, "login-pt-BR.png").await;

    resize_viewport(browser, PHONE).await;
    open_login(browser, authorize_url).await;
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
    let overflow = browser.execute(overflow, vec![]).await.expect("a width");
    assert_eq!(overflow, 0, "the sign-in page is wider than a phone");
    chromium::screenshot(browser, OUTPUT, "login-phone.png").await;
    resize_viewport(browser, DESKTOP).await;
}

/// A client whose redirect URI is `redirect_uri`; otherwise as
/// [`RelyingParty::register`], which registers a fixed, unserved one.
pub async fn register_relying_party(app: &TestApp, redirect_uri: &str) -> RelyingParty {
    let metadata =
        serde_json::json!({ "client_name": "Browser App", "redirect_uris": [redirect_uri] });
    let registered = app.register_client(metadata).await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let issuer = IssuerUrl::new(app.address.clone()).expect("an issuer URL");
    let provider = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery is accepted");

    let id = ClientId::new(registered.client_id.clone());
    let secret = registered.client_secret.clone().map(ClientSecret::new);
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).expect("a redirect URI");
    let client =
        CoreClient::from_provider_metadata(provider, id, secret).set_redirect_uri(redirect);
    RelyingParty {
        client,
        http,
        registered,
    }
}

/// The client's redirect URI, served on a random port so the browser lands
/// on a real page; hands over each callback URL it is asked for.
pub(crate) struct Callback {
    pub(crate) redirect_uri: String,
    requests: mpsc::UnboundedReceiver<Url>,
}

impl Callback {
    pub(crate) async fn listen() -> Callback {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let (sender, requests) = mpsc::unbounded_channel();
        let base = Url::parse(&redirect_uri).expect("a redirect URI");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer_callback(stream, base.clone(), sender.clone()));
            }
        });
        Callback {
            redirect_uri,
            requests,
        }
    }

    pub(crate) async fn next(&mut self) -> Url {
        tokio::time::timeout(WAIT, self.requests.recv())
            .await
            .expect("the browser reaches the redirect URI in time")
            .expect("the callback listener runs")
    }
}

/// Reads one request head, passes on its URL if it is the callback, and
/// answers with a small page either way (browsers also ask for a favicon).
async fn answer_callback(mut stream: TcpStream, base: Url, sender: mpsc::UnboundedSender<Url>) {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }

    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    if let Ok(url) = base.join(target)
        && url.path() == base.path()
    {
        let _ = sender.send(url);
    }

    let body = "<!doctype html><title>Client</title><p>Signed in.</p>";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}
