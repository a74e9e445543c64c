//! A client that speaks raw OAuth 2.0 to the server: it builds authorization
//! requests parameter by parameter and calls `/token` and `/userinfo` with
//! plain HTTP, so tests can read every error code, status and header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use porteiro::clients::RegisteredClient;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, WWW_AUTHENTICATE};
use sha2::{Digest, Sha256};
use url::Url;

use crate::browser::{Browser, query_param};
use crate::helpers::{TEST_PASSWORD, TestApp};

/// Registered for every client made here; nothing listens on port 9.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

pub struct TestClient {
    pub registered: RegisteredClient,
    address: String,
    http: reqwest::Client,
}

/// The parameters of one authorization request, and the secrets the client
/// keeps for it.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub params: Vec<(String, String)>,
    pub state: String,
    pub verifier: String,
}

impl AuthorizationRequest {
    /// The request with `name` set to `value` (replacing any earlier value).
    pub fn set(mut self, name: &str, value: &str) -> AuthorizationRequest {
        self.params.retain(|(n, _)| n != name);
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The request without `name`.
    pub fn without(mut self, name: &str) -> AuthorizationRequest {
        self.params.retain(|(n, _)| n != name);
        self
    }

    pub fn query(&self) -> String {
        serde_urlencoded::to_string(&self.params).expect("the parameters encode")
    }

    pub fn url(&self, app: &TestApp) -> String {
        format!("{}/authorize?{}", app.address, self.query())
    }
}

/// A token endpoint response read whole.
pub struct TokenAnswer {
    pub status: u16,
    pub cache_control: Option<String>,
    pub content_type: Option<String>,
    pub www_authenticate: Option<String>,
    pub body: serde_json::Value,
}

impl TokenAnswer {
    async fn read(response: reqwest::Response) -> TokenAnswer {
        let header = |name: HeaderName| {
            let value = response.headers().get(name)?;
            Some(value.to_str().expect("an ASCII header").to_owned())
        };
        let (cache_control, content_type) = (header(CACHE_CONTROL), header(CONTENT_TYPE));
        let www_authenticate = header(WWW_AUTHENTICATE);
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON body");
        TokenAnswer {
            status,
            cache_control,
            content_type,
            www_authenticate,
            body,
        }
    }

    /// The `error` member of an error response.
    pub fn error(&self) -> &str {
        self.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("an error response, got {} {}", self.status, self.body))
    }

    /// A member of a successful response.
    pub fn token(&self, name: &str) -> String {
        assert_eq!(
            self.status, 200,
            "a successful token response: {}",
            self.body
        );
        self.body[name]
            .as_str()
            .unwrap_or_else(|| panic!("`{name}` in {}", self.body))
            .to_owned()
    }

    /// Asserts an RFC 6749 section 5.2 error: this status and code, as
    /// uncacheable JSON.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.error()), (status, code), "{}", self.body);
        assert_eq!(self.cache_control.as_deref(), Some("no-store"));
        assert!(
            self.content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/json"))
        );
    }
}

impl TestClient {
    /// Registers a client from `metadata`, with [`REDIRECT_URI`] unless the
    /// metadata names redirect URIs or grants without `authorization_code`.
    pub async fn register(app: &TestApp, mut metadata: serde_json::Value) -> TestClient {
        let grants = metadata
            .get("grant_types")
            .cloned()
            .unwrap_or_else(|| serde_json::json!(["authorization_code"]));
        let uses_code = grants
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "authorization_code"));
        if uses_code && metadata.get("redirect_uris").is_none() {
            metadata["redirect_uris"] = serde_json::json!([REDIRECT_URI]);
        }
        let registered = app.register_client(metadata).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        TestClient {
            registered,
            address: app.address.clone(),
            http,
        }
    }

    pub fn id(&self) -> &str {
        &self.registered.client_id
    }

    /// A code flow request for `scope` with state, nonce and an S256 PKCE
    /// challenge.
    pub fn request(&self, scope: &str) -> AuthorizationRequest {
        let state = uuid::Uuid::new_v4().simple().to_string();
        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let params = [
            ("response_type", "code"),
            ("client_id", self.id()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("state", &state),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        let params = params
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        AuthorizationRequest {
            params,
            state,
            verifier,
        }
    }

    /// Signs `username` in with a fresh browser, consents, and returns the
    /// code with the request it answers.
    pub async fn code(
        &self,
        app: &TestApp,
        username: &str,
        scope: &str,
    ) -> (String, AuthorizationRequest) {
        let request = self.request(scope);
        let browser = Browser::new(&app.address);
        let callback = browser
            .authorize(&request.url(app), username, TEST_PASSWORD)
            .await;
        let code = query_param(&callback, "code").unwrap_or_else(|| panic!("a code in {callback}"));
        (code, request)
    }

    /// Posts `form` to `/token`, authenticating as registered.
    pub async fn token(&self, form: &[(&str, &str)]) -> TokenAnswer {
        self.token_with_secret(self.registered.client_secret.as_deref(), form)
            .await
    }

    /// Posts `form` to `/token`, authenticating with `secret` by the
    /// registered method.
    pub async fn token_with_secret(
        &self,
        secret: Option<&str>,
        form: &[(&str, &str)],
    ) -> TokenAnswer {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.http.post(format!("{}/token", self.address));
        match (self.registered.token_endpoint_auth_method.as_str(), secret) {
            ("client_secret_basic", Some(secret)) => {
                request = request.basic_auth(self.id(), Some(secret))
            }
            (_, Some(secret)) => {
                fields.extend([("client_id", self.id()), ("client_secret", secret)])
            }
            (_, None) => fields.push(("client_id", self.id())),
        }
        let response = request
            .form(&fields)
            .send()
            .await
            .expect("the server answers");
        TokenAnswer::read(response).await
    }

    /// Redeems `code` for the request it answers.
    pub async fn redeem(&self, code: &str, request: &AuthorizationRequest) -> TokenAnswer {
        self.redeem_with_verifier(code, &request.verifier).await
    }

    pub async fn redeem_with_verifier(&self, code: &str, verifier: &str) -> TokenAnswer {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ];
        self.token(&form).await
    }

    /// Signs `username` in, consents, and redeems the code.
    pub async fn tokens(&self, app: &TestApp, username: &str, scope: &str) -> TokenAnswer {
        let (code, request) = self.code(app, username, scope).await;
        let answer = self.redeem(&code, &request).await;
        assert_eq!(answer.status, 200, "the code is redeemed: {}", answer.body);
        answer
    }

    pub async fn refresh(&self, refresh_token: &str, scope: Option<&str>) -> TokenAnswer {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        form.extend(scope.map(|scope| ("scope", scope)));
        self.token(&form).await
    }
}

/// `GET /userinfo` with `access_token` as a Bearer token.
pub async fn userinfo(app: &TestApp, access_token: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("the server answers")
}

/// The `Location` of a redirect to the client.
pub fn location(response: &reqwest::Response) -> Option<Url> {
    let value = response.headers().get(reqwest::header::LOCATION)?;
    Url::parse(value.to_str().ok()?).ok()
}
