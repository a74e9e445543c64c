//! Headless Chromium over WebDriver for the browser tests: chromedriver in a
//! process group of its own, waits, viewport sizes and screenshots.
//!
//! Chromium and chromedriver come from Debian's `chromium` and
//! `chromium-driver` packages, which `scripts/test` installs. A test fails,
//! rather than passing unseen, on a machine without them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The longest any one wait lasts: chromedriver starting, a page loading, the
/// callback arriving. Generous, since CI compiles beside the test on 2 cores.
pub const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (412, 915);

/// Sizes the window so that the page gets `width` x `height` CSS pixels:
/// headless Chromium keeps room in its window for a toolbar it does not draw.
pub async fn resize_viewport(browser: &Client, (width, height): (u32, u32)) {
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
pub struct LoginForm {
    pub username: Element,
    pub password: Element,
    pub submit: Element,
}

impl LoginForm {
    /// Types into the inputs and clicks the button.
    pub async fn sign_in(&self, username: &str, password: &str) {
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
pub async fn open_login(browser: &Client, url: &str) -> LoginForm {
    browser
        .goto(url)
        .await
        .expect("the authorization URL opens");
    open_login_here(browser).await
}

/// Waits for the sign-in form on the page the browser is on, or is going to.
pub async fn open_login_here(browser: &Client) -> LoginForm {
    LoginForm {
        username: wait_for(browser, "input[name=username]").await,
        password: wait_for(browser, "input[name=password]").await,
        submit: wait_for(browser, "form button[type=submit]").await,
    }
}

pub async fn wait_for(browser: &Client, css: &str) -> Element {
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

pub async fn page_lang(browser: &Client) -> String {
    let html = browser
        .find(Locator::Css("html"))
        .await
        .expect("an html element");
    html.attr("lang")
        .await
        .expect("attributes")
        .unwrap_or_default()
}

/// Saves a PNG of the viewport as `test-output/<test>/<name>`, beside
/// chromedriver's log.
pub async fn screenshot(browser: &Client, test: &str, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    let path = output_dir(test).join(name);
    std::fs::write(&path, png).expect("the screenshot is saved");
    println!("screenshot: {}", path.display());
}

/// The repository's git-ignored `test-output/<test>/`.
pub fn output_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-output")
        .join(test);
    std::fs::create_dir_all(&dir).expect("the test output directory");
    dir
}

/// chromedriver on a free port, in a process group of its own with the
/// Chromium it starts; the whole group is killed on drop, even on a panic.
pub struct Chromedriver {
    process: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Chromedriver {
    /// Starts chromedriver, logging to `test-output/<test>/chromedriver.log`.
    pub async fn start(test: &str) -> Chromedriver {
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
                output_dir(test).join("chromedriver.log").display()
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
    pub async fn session(&self) -> Client {
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
