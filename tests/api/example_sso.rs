//! Single sign-on and single logout in headless Chromium, through two copies
//! of the example relying party (`examples/relying_party/`), as the README
//! shows them to a newcomer. Screenshots go to `test-output/example_sso/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use fantoccini::{Client, Locator};

use crate::chromium::{self, Chromedriver, WAIT, wait_for};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};

const OUTPUT: &str = "example_sso";

#[tokio::test]
async fn two_example_apps_share_one_sign_in_and_one_sign_out() {
    // Arrange: Porteiro, a person, and two example apps registered with
    // back-channel logout, as in the README.
    let driver = Chromedriver::start(OUTPUT).await;
    let (app, _db) = spawn_app().await;
    let user = app.create_user("alice").await;
    let app_a = ExampleApp::start(&app, "App A").await;
    let app_b = ExampleApp::start(&app, "App B").await;
    let browser = driver.session().await;

    // Act 1: sign in to App A with the password.
    browser.goto(&app_a.url).await.expect("App A opens");
    click_link(&browser, "Sign in").await;
    let login = chromium::open_login_here(&browser).await;
    login.sign_in("alice", TEST_PASSWORD).await;
    allow(&browser).await;
    let sid_a = claim(&browser, "sid").await;
    chromium::screenshot(&browser, OUTPUT, "1-app-a-signed-in.png").await;

    // Assert: App A knows the person.
    assert_eq!(claim(&browser, "sub").await, user.id);

    // Act 2: App B in the same browser: consent only, no sign-in form.
    browser.goto(&app_b.url).await.expect("App B opens");
    click_link(&browser, "Sign in").await;
    wait_for(&browser, "button[name=decision][value=allow]").await;
    let has_password = browser.find(Locator::Css("input[name=password]")).await;
    assert!(has_password.is_err(), "the SSO session signs in to App B");
    chromium::screenshot(&browser, OUTPUT, "2-app-b-consent-only.png").await;
    allow(&browser).await;
    chromium::screenshot(&browser, OUTPUT, "3-app-b-signed-in.png").await;

    // Assert: the same person, in a session of App B's own.
    assert_eq!(claim(&browser, "sub").await, user.id);
    let sid_b = claim(&browser, "sid").await;
    assert!(!sid_b.is_empty());
    assert_ne!(sid_a, sid_b, "each app gets a sid of its own");

    // Act 3: sign out in App B (RP-initiated logout with id_token_hint).
    click_button(&browser, "Sign out").await;
    wait_for_text_here(&browser, "signed out of Porteiro and of every app").await;
    chromium::screenshot(&browser, OUTPUT, "4-app-b-signed-out.png").await;

    // Assert: App A heard of it by back-channel logout, and signing in to
    // it again needs the password.
    wait_for_text(&browser, &app_a.url, "You are not signed in").await;
    chromium::screenshot(&browser, OUTPUT, "5-app-a-signed-out.png").await;
    click_link(&browser, "Sign in").await;
    chromium::open_login_here(&browser).await;
    chromium::screenshot(&browser, OUTPUT, "6-app-a-asks-for-password.png").await;

    browser.close().await.expect("the browser session ends");
}

/// One copy of `examples/relying_party` on a free port, registered as a
/// confidential client of `app`; killed on drop.
struct ExampleApp {
    url: String,
    process: Child,
}

impl ExampleApp {
    async fn start(app: &TestApp, name: &str) -> ExampleApp {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let registered = app
            .register_client(serde_json::json!({
                "client_name": name,
                "redirect_uris": [format!("{url}/callback")],
                "post_logout_redirect_uris": [format!("{url}/")],
                "backchannel_logout_uri": format!("{url}/backchannel-logout"),
                "backchannel_logout_session_required": true,
            }))
            .await;
        let secret = registered.client_secret.expect("a confidential client");

        let process = Command::new(example_binary())
            .env("RP_PORT", port.to_string())
            .env("RP_CLIENT_ID", &registered.client_id)
            .env("RP_CLIENT_SECRET", secret)
            .env("RP_ISSUER", &app.address)
            .env("RP_NAME", name)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the example relying party starts");
        let example = ExampleApp { url, process };
        example.wait_until_listening().await;
        example
    }

    async fn wait_until_listening(&self) {
        let deadline = Instant::now() + WAIT;
        while reqwest::get(&self.url).await.is_err() {
            assert!(Instant::now() < deadline, "{} does not answer", self.url);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ExampleApp {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The example's binary, built by `cargo test` with the tests; built here
/// when only this test binary was (`cargo test --test api`).
fn example_binary() -> PathBuf {
    let tests = std::env::current_exe().expect("the test binary's path");
    let profile_dir = tests
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary sits in <target>/<profile>/deps");
    let binary = profile_dir.join("examples/relying_party");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--example", "relying_party"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target_dir(profile_dir))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the example relying party builds");
    binary
}

/// `<target>` of `<target>/debug`, so the nested build shares its outputs.
fn target_dir(profile_dir: &std::path::Path) -> PathBuf {
    profile_dir
        .parent()
        .expect("the profile directory sits in the target directory")
        .to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

async fn allow(browser: &Client) {
    let allow = wait_for(browser, "button[name=decision][value=allow]").await;
    allow.click().await.expect("the allow button clicks");
    wait_for(browser, "table").await;
}

async fn click_link(browser: &Client, text: &str) {
    let link = browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::LinkText(text))
        .await
        .unwrap_or_else(|error| panic!("no `{text}` link: {error}"));
    link.click().await.expect("the link clicks");
}

async fn click_button(browser: &Client, text: &str) {
    let xpath = format!("//button[normalize-space()='{text}']");
    let button = browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|error| panic!("no `{text}` button: {error}"));
    button.click().await.expect("the button clicks");
}

/// The value the example app shows for the ID token claim `name`.
async fn claim(browser: &Client, name: &str) -> String {
    let xpath = format!("//tr[th='{name}']/td");
    let cell = browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|error| panic!("no `{name}` claim on the page: {error}"));
    cell.text().await.expect("the claim's text")
}

/// Waits until the page the browser is on, or is going to, says `text`.
async fn wait_for_text_here(browser: &Client, text: &str) {
    let xpath = format!("//*[contains(text(), '{text}')]");
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|error| panic!("the page never said `{text}`: {error}"));
}

/// Opens `url` again and again until its page says `text`: back-channel
/// logout reaches the other app on its own time.
async fn wait_for_text(browser: &Client, url: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        browser.goto(url).await.expect("the page opens");
        let body = browser.source().await.expect("the page source");
        if body.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} never said `{text}`; it says:\n{body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
