//! The authorization code flow in headless Chromium, driven over WebDriver
//! through the real sign-in and consent pages, with screenshots of them.
//!
//! Chromium and chromedriver come from Debian's `chromium` and
//! `chromium-driver` packages, which `scripts/test` installs. The test fails,
//! rather than passing unseen, on a machine without them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl, TokenResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use url::Url;

use crate::browser::query_param;
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};
use crate::relying_party::RelyingParty;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The longest any one wait lasts: chromedriver starting, a page loading, the
/// callback arriving. Generous, since CI compiles beside the test on 2 cores.
const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (412, 915);

#[tokio::test]
async fn a_person_signs_in_and_consents_in_a_real_browser() {
    // Arrange
    let driver = Chromedriver::start().await;
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
    screenshot(&browser, "login.png").await;
    login.sign_in("alice", TEST_PASSWORD).await;
    let allow = wait_for(&browser, "button[name=decision][value=allow]").await;
    screenshot(&browser, "consent.png").await;
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
    screenshot(browser, "login-pt-BR.png").await;

    resize_viewport(browser, PHONE).await;
    open_login(browser, authorize_url).await;
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
    let overflow = browser.execute(overflow, vec![]).await.expect("a width");
    assert_eq!(overflow, 0, "the sign-in page is wider than a phone");
    screenshot(browser, "login-phone.png").await;
    resize_viewport(browser, DESKTOP).await;
}

/// Sizes the window so that the page gets `width` x `height` CSS pixels:
/// headless Chromium keeps room in its window for a toolbar it does not draw.
async fn resize_viewport(browser: &Client, (width, height): (u32, u32)) {
    browser
        .set_window_size(width, height)
        .await
        .expect("the window resizes");
    let script = "return [window.innerWidth, window.innerHeight]";
    let inner = browser
        .execute(script, vec![])
        .await
        .expect("the viewport size");
    let inner = |i: usize| u32::try_from(inner[i].as_u64().expect("a size")).expect("a size");
    let (extra_width, extra_height) = (width - inner(0), height - inner(1));
    browser
        .set_window_size(width + extra_width, height + extra_height)
        .await
        .expect("the window resizes");
}

/// The sign-in form's inputs and button.
struct LoginForm {
    username: fantoccini::elements::Element,
    password: fantoccini::elements::Element,
    submit: fantoccini::elements::Element,
}

impl LoginForm {
    /// Types into the inputs and clicks the button.
    async fn sign_in(&self, username: &str, password: &str) {
        self.username
            .send_keys(username)
            .await
            .expect("the username is typed");
        self.password
            .send_keys(password)
            .await
            .expect("the password is typed");
        self.submit
            .click()
            .await
            .expect("the sign-in button clicks");
    }
}

/// Opens `url` and waits for the sign-in form.
async fn open_login(browser: &Client, url: &str) -> LoginForm {
    browser
        .goto(url)
        .await
        .expect("the authorization URL opens");
    LoginForm {
        username: wait_for(browser, "input[name=username]").await,
        password: wait_for(browser, "input[name=password]").await,
        submit: wait_for(browser, "form button[type=submit]").await,
    }
}

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    let found = browser
        .wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await;
    match found {
        Ok(element) => element,
        Err(error) => {
            let url = browser
                .current_url()
                .await
                .map(String::from)
                .unwrap_or_default();
            panic!("no `{css}` on {url} after {WAIT:?}: {error}")
        }
    }
}

async fn page_lang(browser: &Client) -> String {
    let html = browser
        .find(Locator::Css("html"))
        .await
        .expect("an html element");
    html.attr("lang")
        .await
        .expect("attributes")
        .unwrap_or_default()
}

/// Saves a PNG of the viewport under `test-output/browser_flow/`, beside
/// chromedriver's log.
async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    let path = output_dir().join(name);
    std::fs::write(&path, png).expect("the screenshot is saved");
    println!("screenshot: {}", path.display());
}

/// The repository's git-ignored `test-output/browser_flow/`.
fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output/browser_flow");
    std::fs::create_dir_all(&dir).expect("the test output directory");
    dir
}

/// A client whose redirect URI is `redirect_uri`; otherwise as
/// [`RelyingParty::register`], which registers a fixed, unserved one.
async fn register_relying_party(app: &TestApp, redirect_uri: &str) -> RelyingParty {
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
struct Callback {
    redirect_uri: String,
    requests: mpsc::UnboundedReceiver<Url>,
}

impl Callback {
    async fn listen() -> Callback {
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

    async fn next(&mut self) -> Url {
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

/// chromedriver on a free port, in a process group of its own with the
/// Chromium it starts; the whole group is killed on drop, even on a panic.
struct Chromedriver {
    process: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Chromedriver {
    async fn start() -> Chromedriver {
        use std::os::unix::process::CommandExt;

        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: run scripts/test, which installs Debian's \
                 chromium and chromium-driver packages"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                output_dir().join("chromedriver.log").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Chromedriver {
            process,
            url: format!("http://127.0.0.1:{port}"),
            profile: tempfile::tempdir().expect("a temporary profile directory"),
        };

        driver.wait_until_ready().await;
        driver
    }

    async fn wait_until_ready(&self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let status = http.get(format!("{}/status", self.url)).send().await;
            if let Ok(response) = status
                && let Ok(body) = response.json::<serde_json::Value>().await
                && body["value"]["ready"] == true
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver is not ready after {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// A new headless Chromium with a fresh profile and a desktop viewport.
    async fn session(&self) -> Client {
        let options = serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                // Only loopback is reachable: no background connections.
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--user-data-dir={}", self.profile.path().display()),
                format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            ],
        });
        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let browser = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver starts a Chromium session");
        resize_viewport(&browser, DESKTOP).await;
        browser
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
    }
}
