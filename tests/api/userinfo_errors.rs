//! `/userinfo`: the token in the header or the form body, once (RFC 6750
//! section 2), answers that browser clients of any origin may read, and
//! refusing access tokens that are not ours, not intact, not live or not
//! enough (RFC 6750 section 3.1, RFC 8725 section 3.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::JwsHeader;
use porteiro::config::Settings;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::oauth_client::{TestClient, userinfo};

/// Alice's access token with the `openid` scope, from the code flow.
async fn access_token(app: &TestApp) -> String {
    app.create_user("alice").await;
    let client = TestClient::register(app, json!({})).await;
    client
        .tokens(app, "alice", "openid profile")
        .await
        .token("access_token")
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The header and payload of a compact JWS.
fn split(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let header = decode(parts.next().expect("a header"));
    (header, decode(parts.next().expect("a payload")))
}

async fn assert_refused(app: &TestApp, token: &str, status: u16, error: &str) {
    let response = userinfo(app, token).await;
    assert_eq!(response.status(), status, "{token}");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(&format!("error=\"{error}\"")),
        "{challenge}"
    );
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"], error);
}

/// The public key of a published JWK in PEM, as a library would load it.
fn public_key_pem(jwk: &Value) -> Vec<u8> {
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::{Id, PKey};
    use openssl::rsa::Rsa;

    let member = |name: &str| {
        BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap()).unwrap()
    };
    let key = match jwk["kty"].as_str().unwrap() {
        "RSA" => {
            PKey::from_rsa(Rsa::from_public_components(member("n"), member("e")).unwrap()).unwrap()
        }
        "EC" => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            let key = EcKey::from_public_key_affine_coordinates(&group, &member("x"), &member("y"))
                .unwrap();
            PKey::from_ec_key(key).unwrap()
        }
        "OKP" => {
            let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
            PKey::public_key_from_raw_bytes(&x, Id::ED25519).unwrap()
        }
        other => panic!("a key type {other} this test does not know"),
    };
    key.public_key_to_pem().unwrap()
}

#[tokio::test]
async fn a_valid_access_token_gets_the_claims_in_the_header_or_the_form_body() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;

    // Act: GET with the header, POST with the header, POST with the body.
    let responses = [
        userinfo(&app, &token).await,
        post_userinfo(&app, &[], Some(&token)).await,
        post_userinfo(&app, &[("access_token", &token)], None).await,
    ];

    // Assert
    for response in responses {
        assert_eq!(response.status(), 200);
        let claims: Value = response.json().await.unwrap();
        assert_eq!(claims["preferred_username"], "alice");
    }
}

#[tokio::test]
async fn a_tampered_access_token_is_refused_with_invalid_token() {
    // Arrange: the same signature over a payload with changes.
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;
    let (_, payload) = split(&token);
    let (signed_header, signature) = (
        token.split('.').next().unwrap(),
        token.rsplit('.').next().unwrap(),
    );
    let mut longer = payload.clone();
    longer["exp"] = json!(payload["exp"].as_i64().unwrap() + 86_400);
    let mut someone_else = payload.clone();
    someone_else["sub"] = json!("someone-else");

    for tampered in [longer, someone_else] {
        let forged = format!("{signed_header}.{}.{signature}", encode(&tampered));

        // Act and assert
        assert_refused(&app, &forged, 401, "invalid_token").await;
    }
}

#[tokio::test]
async fn an_unsigned_alg_none_access_token_is_refused_with_invalid_token() {
    // Arrange: a genuine payload and header, the algorithm set to none.
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;
    let (header, payload) = split(&token);

    for alg in ["none", "None", "NONE"] {
        let mut unsigned = header.clone();
        unsigned["alg"] = json!(alg);
        let forged = format!("{}.{}.", encode(&unsigned), encode(&payload));

        // Act and assert
        assert_refused(&app, &forged, 401, "invalid_token").await;
    }
}

#[tokio::test]
async fn an_hs256_token_keyed_with_our_public_key_is_refused_with_invalid_token() {
    // Arrange: for every published key, HS256 over a genuine payload with its
    // kid, keyed with the key's PEM and with its JWK.
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;
    let (_, payload) = split(&token);
    let jwks: Value = serde_json::from_str(&app.jwks_text().await).unwrap();

    for jwk in jwks["keys"].as_array().unwrap() {
        for secret in [public_key_pem(jwk), jwk.to_string().into_bytes()] {
            let signer = josekit::jws::HS256.signer_from_bytes(&secret).unwrap();
            let mut header = JwsHeader::new();
            header.set_token_type("at+jwt");
            header.set_key_id(jwk["kid"].as_str().unwrap());
            let forged =
                josekit::jws::serialize_compact(payload.to_string().as_bytes(), &header, &signer)
                    .unwrap();

            // Act and assert
            assert_refused(&app, &forged, 401, "invalid_token").await;
        }
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refused_with_invalid_token() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;
    app.clock
        .advance(Settings::default().tokens.access_token_lifetime_secs + 1);

    // Act and assert
    assert_refused(&app, &token, 401, "invalid_token").await;
}

#[tokio::test]
async fn an_id_token_is_not_accepted_as_an_access_token() {
    // Arrange
    let (app, _db) = spawn_app().await;
    app.create_user("alice").await;
    let client = TestClient::register(&app, json!({})).await;
    let id_token = client
        .tokens(&app, "alice", "openid")
        .await
        .token("id_token");

    // Act and assert
    assert_refused(&app, &id_token, 401, "invalid_token").await;
}

#[tokio::test]
async fn a_client_credentials_token_without_openid_gets_403_insufficient_scope() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let client = TestClient::register(
        &app,
        json!({ "grant_types": ["client_credentials"], "scope": "api.read" }),
    )
    .await;
    let token = client
        .token(&[("grant_type", "client_credentials")])
        .await
        .token("access_token");

    // Act and assert
    assert_refused(&app, &token, 403, "insufficient_scope").await;
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_bearer_challenge_without_an_error() {
    // Arrange
    let (app, _db) = spawn_app().await;

    // Act
    let response = app.get("/userinfo").await;

    // Assert: RFC 6750 section 3.1 names no error when no token was sent.
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(!challenge.contains("error="), "{challenge}");
}

/// `POST /userinfo` with `form` as its body, and `bearer` in the header.
async fn post_userinfo(
    app: &TestApp,
    form: &[(&str, &str)],
    bearer: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}/userinfo", app.address))
        .form(form);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server answers")
}

#[tokio::test]
async fn a_token_sent_both_in_the_header_and_in_the_body_is_refused_with_invalid_request() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;

    // Act
    let response = post_userinfo(&app, &[("access_token", &token)], Some(&token)).await;

    // Assert: RFC 6750 section 2 allows one method per request.
    assert_eq!(response.status(), 400);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_request""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn browser_clients_of_any_origin_may_read_answers_and_errors_and_preflight() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = access_token(&app).await;
    let url = format!("{}/userinfo", app.address);
    let origin = "https://spa.example";
    let from_origin = |request: reqwest::RequestBuilder| request.header("Origin", origin).send();

    // Act
    let answer = from_origin(app.http.get(&url).bearer_auth(&token))
        .await
        .unwrap();
    let error = from_origin(app.http.get(&url).bearer_auth("not-a-token"))
        .await
        .unwrap();
    let preflight = from_origin(
        app.http
            .request(reqwest::Method::OPTIONS, &url)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization"),
    )
    .await
    .unwrap();

    // Assert: the claims and the error's challenge are readable by script.
    let header = |response: &reqwest::Response, name: &str| {
        response.headers()[name].to_str().unwrap().to_owned()
    };
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "access-control-allow-origin"), "*");
    assert_eq!(error.status(), 401);
    assert_eq!(header(&error, "access-control-allow-origin"), "*");
    assert!(header(&error, "access-control-expose-headers").contains("WWW-Authenticate"));
    assert_eq!(preflight.status(), 204);
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    assert!(header(&preflight, "access-control-allow-methods").contains("GET"));
    assert!(
        header(&preflight, "access-control-allow-headers")
            .to_lowercase()
            .contains("authorization")
    );
}
