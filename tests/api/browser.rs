//! A scripted browser over plain HTTP: a cookie jar, no automatic redirects,
//! and form filling for the sign-in and consent pages.

use reqwest::header::LOCATION;
use url::Url;

pub struct Browser {
    pub http: reqwest::Client,
    base: Url,
    /// Other origins whose redirects are followed too (an upstream's pages).
    also: Vec<Url>,
}

/// A page the browser is looking at.
#[derive(Clone)]
pub struct Page {
    pub url: Url,
    pub status: u16,
    pub html: String,
}

impl Page {
    /// The `value` of the input named `name`.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let at = self.html.find(&marker)?;
        let start = self.html[..at].rfind('<')?;
        let end = at + self.html[at..].find('>')?;
        let tag = &self.html[start..end];
        let value_at = tag.find("value=\"")? + "value=\"".len();
        let value = &tag[value_at..];
        Some(unescape(&value[..value.find('"')?]))
    }

    pub fn is_login(&self) -> bool {
        self.html.contains("name=\"password\"")
    }

    pub fn is_consent(&self) -> bool {
        self.html.contains("name=\"decision\"")
    }

    /// The text of the `role="alert"` element, if any.
    pub fn alert(&self) -> Option<String> {
        let at = self.html.find("role=\"alert\"")?;
        let start = at + self.html[at..].find('>')? + 1;
        let end = start + self.html[start..].find('<')?;
        Some(self.html[start..end].trim().to_owned())
    }
}

impl Page {
    /// Where the page's first form posts to.
    pub fn form_action(&self) -> String {
        form_action(&self.html)
    }

    /// The `href` of the first link whose address starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let marker = format!("href=\"{prefix}");
        let start = self.html.find(&marker)? + "href=\"".len();
        let end = start + self.html[start..].find('"')?;
        Some(unescape(&self.html[start..end]))
    }
}

fn unescape(value: &str) -> String {
    value
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// Where a navigation ended.
pub enum Landing {
    /// A redirect to somewhere outside the server (the client).
    Redirect(Url),
    Page(Page),
}

impl Landing {
    pub fn redirect(self) -> Url {
        match self {
            Landing::Redirect(url) => url,
            Landing::Page(page) => panic!(
                "expected a redirect, got a {} page at {}: {}",
                page.status, page.url, page.html
            ),
        }
    }

    pub fn page(self) -> Page {
        match self {
            Landing::Page(page) => page,
            Landing::Redirect(url) => panic!("expected a page, got a redirect to {url}"),
        }
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Browser {
            http,
            base: Url::parse(base).expect("a base URL"),
            also: Vec::new(),
        }
    }

    /// The browser, following redirects to `origin` as well as its base.
    pub fn also_following(mut self, origin: &str) -> Browser {
        self.also.push(Url::parse(origin).expect("an origin URL"));
        self
    }

    /// GETs `url` and follows redirects within the server.
    pub async fn open(&self, url: &str) -> Landing {
        let response = self.http.get(url).send().await.expect("the server answers");
        self.follow(response).await
    }

    pub async fn submit(&self, page: &Page, fields: &[(&str, &str)]) -> Landing {
        let action = page
            .url
            .join(&form_action(&page.html))
            .expect("a form action");
        let response = self
            .http
            .post(action)
            .form(fields)
            .send()
            .await
            .expect("the server answers");
        self.follow(response).await
    }

    async fn follow(&self, mut response: reqwest::Response) -> Landing {
        for _ in 0..10 {
            if !response.status().is_redirection() {
                let (url, status) = (response.url().clone(), response.status().as_u16());
                let html = response.text().await.expect("a body");
                return Landing::Page(Page { url, status, html });
            }
            let location = response.headers()[LOCATION]
                .to_str()
                .expect("a Location")
                .to_owned();
            let next = response.url().join(&location).expect("a valid Location");
            let followed = std::iter::once(&self.base)
                .chain(&self.also)
                .any(|url| url.origin() == next.origin());
            if !followed {
                return Landing::Redirect(next);
            }
            response = self
                .http
                .get(next)
                .send()
                .await
                .expect("the server answers");
        }
        panic!("too many redirects");
    }

    /// Signs in on the login page.
    pub async fn sign_in(&self, page: &Page, username: &str, password: &str) -> Landing {
        let request = page.field("request").expect("the form names its request");
        let csrf = page.field("csrf_token").expect("the form has a CSRF token");
        self.submit(
            page,
            &[
                ("request", &request),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Answers the consent page.
    pub async fn decide(&self, page: &Page, decision: &str) -> Landing {
        let request = page.field("request").expect("the form names its request");
        let csrf = page.field("csrf_token").expect("the form has a CSRF token");
        self.submit(
            page,
            &[
                ("request", &request),
                ("csrf_token", &csrf),
                ("decision", decision),
            ],
        )
        .await
    }

    /// Goes from `authorize_url` to the client's redirect: signing in and
    /// allowing whenever asked.
    pub async fn authorize(&self, authorize_url: &str, username: &str, password: &str) -> Url {
        let mut landing = self.open(authorize_url).await;
        for _ in 0..3 {
            landing = match landing {
                Landing::Redirect(url) => return url,
                Landing::Page(page) if page.is_login() => {
                    self.sign_in(&page, username, password).await
                }
                Landing::Page(page) if page.is_consent() => self.decide(&page, "allow").await,
                Landing::Page(page) => panic!(
                    "unexpected {} page at {}: {}",
                    page.status, page.url, page.html
                ),
            };
        }
        landing.redirect()
    }
}

fn form_action(html: &str) -> String {
    let at = html.find("<form").expect("a form");
    let tag = &html[at..at + html[at..].find('>').expect("a closed form tag")];
    let start = tag.find("action=\"").expect("a form action") + "action=\"".len();
    unescape(&tag[start..start + tag[start..].find('"').expect("a closed action")])
}

/// A query parameter of a URL.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
