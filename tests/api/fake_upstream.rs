//! A small OpenID Connect provider played in-test: discovery, JWKS,
//! an authorization endpoint that answers at once (no person to ask), a
//! token endpoint that checks PKCE and mints josekit-signed ID tokens, and
//! userinfo. What it says, and how it misbehaves, is set per test through
//! [`Behaviour`], so every way an upstream can go wrong can be played.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, RS256};
use serde_json::{Value, json};

/// The client the fake knows; any secret is accepted.
pub const FAKE_CLIENT_ID: &str = "porteiro-at-fake";

/// What the fake says and does; change it between sign-ins.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// Claims the ID token also carries (`hd`, `amr`, ...).
    pub extra_claims: Value,
    /// Leave email and name out of the ID token; userinfo still has them.
    pub claims_in_userinfo_only: bool,
    pub nonce_override: Option<String>,
    pub audience_override: Option<String>,
    pub expired: bool,
    /// Sign with a key the JWKS does not publish.
    pub rogue_key: bool,
    /// Answer the authorization request with this error.
    pub authorize_error: Option<String>,
    /// Answer the token request with this error.
    pub token_error: Option<String>,
    pub token_delay: Option<Duration>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            subject: "fake-subject-1".into(),
            email: Some("fay@example.test".into()),
            email_verified: true,
            name: Some("Fay Upstream".into()),
            extra_claims: json!({}),
            claims_in_userinfo_only: false,
            nonce_override: None,
            audience_override: None,
            expired: false,
            rogue_key: false,
            authorize_error: None,
            token_error: None,
            token_delay: None,
        }
    }
}

/// What the fake remembers of an authorization request, by code.
struct Issued {
    nonce: Option<String>,
    code_challenge: Option<String>,
}

struct Keys {
    published: Jwk,
    signing: Jwk,
    rogue: Jwk,
}

struct Shared {
    issuer: String,
    behaviour: Mutex<Behaviour>,
    codes: Mutex<HashMap<String, Issued>>,
    token_requests: Mutex<usize>,
    keys: Keys,
}

pub struct FakeOidc {
    pub issuer: String,
    shared: Arc<Shared>,
}

impl FakeOidc {
    pub async fn start() -> FakeOidc {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            behaviour: Mutex::new(Behaviour::default()),
            codes: Mutex::new(HashMap::new()),
            token_requests: Mutex::new(0),
            keys: keys(),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/userinfo", web::get().to(userinfo))
        })
        .workers(1)
        .listen(listener)
        .expect("the fake listens")
        .run();
        // Runs until the test's runtime ends.
        tokio::spawn(server);
        FakeOidc { issuer, shared }
    }

    pub fn behave(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.shared.behaviour.lock().unwrap());
    }

    /// How many token requests the fake has answered.
    pub fn token_requests(&self) -> usize {
        *self.shared.token_requests.lock().unwrap()
    }
}

fn keys() -> Keys {
    let make = |kid: &str| {
        let pair = RS256.generate_key_pair(2048).expect("an RSA key");
        let mut jwk = pair.to_jwk_key_pair();
        jwk.set_key_id(kid);
        jwk.set_algorithm("RS256");
        jwk
    };
    let signing = make("fake-key");
    let mut published = signing.to_public_key().expect("a public key");
    published.set_key_id("fake-key");
    published.set_algorithm("RS256");
    published.set_key_use("sig");
    Keys {
        published,
        signing,
        rogue: make("rogue-key"),
    }
}

async fn discovery(shared: web::Data<Shared>) -> HttpResponse {
    let issuer = &shared.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(shared: web::Data<Shared>) -> HttpResponse {
    let key: Value = serde_json::to_value(shared.keys.published.as_ref()).unwrap();
    HttpResponse::Ok().json(json!({ "keys": [key] }))
}

/// Answers at once, as an upstream whose person is already signed in.
async fn authorize(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let redirect_uri = query.get("redirect_uri").cloned().unwrap_or_default();
    let mut back = url::Url::parse(&redirect_uri).expect("a redirect_uri");
    let behaviour = shared.behaviour.lock().unwrap().clone();

    match behaviour.authorize_error {
        Some(error) => {
            back.query_pairs_mut().append_pair("error", &error);
        }
        None => {
            let code = uuid::Uuid::new_v4().simple().to_string();
            let issued = Issued {
                nonce: query.get("nonce").cloned(),
                code_challenge: query.get("code_challenge").cloned(),
            };
            shared.codes.lock().unwrap().insert(code.clone(), issued);
            back.query_pairs_mut().append_pair("code", &code);
        }
    }
    if let Some(state) = query.get("state") {
        back.query_pairs_mut().append_pair("state", state);
    }
    HttpResponse::Found()
        .insert_header(("Location", back.to_string()))
        .finish()
}

async fn token(
    shared: web::Data<Shared>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    *shared.token_requests.lock().unwrap() += 1;
    let behaviour = shared.behaviour.lock().unwrap().clone();
    if let Some(delay) = behaviour.token_delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(error) = &behaviour.token_error {
        return HttpResponse::BadRequest().json(json!({ "error": error }));
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(issued) = shared.codes.lock().unwrap().remove(&code) else {
        return HttpResponse::BadRequest().json(json!({ "error": "invalid_grant" }));
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if issued.code_challenge.as_deref() != Some(&porteiro::oidc::pkce::s256_challenge(&verifier)) {
        return HttpResponse::BadRequest().json(json!({ "error": "invalid_grant" }));
    }

    let id_token = id_token(&shared, &behaviour, issued.nonce);
    HttpResponse::Ok().json(json!({
        "access_token": "fake-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
}

fn id_token(shared: &Shared, behaviour: &Behaviour, nonce: Option<String>) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (iat, exp) = match behaviour.expired {
        true => (now - 1200, now - 600),
        false => (now, now + 300),
    };
    let mut claims = json!({
        "iss": shared.issuer,
        "sub": behaviour.subject,
        "aud": behaviour.audience_override.clone().unwrap_or_else(|| FAKE_CLIENT_ID.to_owned()),
        "iat": iat,
        "exp": exp,
    });
    if let Some(nonce) = behaviour.nonce_override.clone().or(nonce) {
        claims["nonce"] = nonce.into();
    }
    if !behaviour.claims_in_userinfo_only {
        if let Some(email) = &behaviour.email {
            claims["email"] = email.clone().into();
            claims["email_verified"] = behaviour.email_verified.into();
        }
        if let Some(name) = &behaviour.name {
            claims["name"] = name.clone().into();
        }
    }
    if let Value::Object(extra) = &behaviour.extra_claims {
        for (name, value) in extra {
            claims[name] = value.clone();
        }
    }

    let key = match behaviour.rogue_key {
        true => &shared.keys.rogue,
        false => &shared.keys.signing,
    };
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(key.key_id().unwrap());
    let signer = RS256.signer_from_jwk(key).unwrap();
    josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
}

async fn userinfo(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let authorized = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        == Some("Bearer fake-access-token");
    if !authorized {
        return HttpResponse::Unauthorized().finish();
    }
    let behaviour = shared.behaviour.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({
        "sub": behaviour.subject,
        "email": behaviour.email,
        "email_verified": behaviour.email_verified,
        "name": behaviour.name,
    }))
}
