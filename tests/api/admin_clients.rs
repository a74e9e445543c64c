//! Clients through the console and the API: registration with what a
//! relying party needs, the secret shown once and stored hashed, edits, new
//! secrets, deletion, and invalid input refused beside its field.

use porteiro::clients::{ClientSecrets, PlainSecret};
use porteiro::secret::ServerSecret;
use porteiro::storage::models::client::Client;
use reqwest::Method;
use secrecy::SecretString;

use crate::admin_support::{api, api_token, console_as_first_admin, open, post};
use crate::browser::{Browser, Page};
use crate::helpers::{TEST_SECRET, TestApp, spawn_app};

/// A form field: name and value.
type Field<'a> = (&'a str, &'a str);

/// A valid registration in the console's field names, with `changes`.
fn client_form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("client_name", "Console App"),
        ("token_endpoint_auth_method", "client_secret_basic"),
        (
            "redirect_uris",
            "https://rp.example/cb\nhttp://127.0.0.1:9/callback",
        ),
        ("post_logout_redirect_uris", ""),
        ("backchannel_logout_uri", ""),
        ("frontchannel_logout_uri", ""),
        ("grant_types", "authorization_code"),
        ("grant_types", "refresh_token"),
        ("scope", "openid profile email"),
        ("require_pkce", "1"),
        ("id_token_signed_response_alg", "RS256"),
        ("access_token_signed_response_alg", ""),
        ("access_token_lifetime_secs", ""),
        ("id_token_lifetime_secs", ""),
        ("refresh_token_lifetime_secs", ""),
    ];
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

async fn register(browser: &Browser, app: &TestApp, changes: &[(&str, &str)]) -> Page {
    let new = open(browser, app, "/admin/clients/new").await;
    post(browser, app, &new, "/admin/clients", &client_form(changes)).await
}

async fn stored_clients(app: &TestApp) -> Vec<Client> {
    app.db.run(Client::list).await.unwrap()
}

/// The text of `<p class="field-error" id="{field}-error">`, right after its
/// input, or `None`.
fn field_error(page: &Page, field: &str) -> Option<String> {
    let marker = format!("<p class=\"field-error\" id=\"{field}-error\">");
    let at = page.html.find(&marker)? + marker.len();
    let end = at + page.html[at..].find("</p>")?;
    Some(page.html[at..end].to_owned())
}

fn text_of(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page
        .html
        .find(&marker)
        .unwrap_or_else(|| panic!("#{id} in {}", page.html));
    let start = at + page.html[at..].find('>').unwrap() + 1;
    let end = start + page.html[start..].find('<').unwrap();
    page.html[start..end].to_owned()
}

#[tokio::test]
async fn invalid_client_input_is_refused_beside_its_field_and_nothing_is_saved() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let cases: [(&[Field], &str, &str); 5] = [
        (
            &[("redirect_uris", "https://rp.example/cb#here")],
            "redirect_uris",
            "fragment",
        ),
        (
            &[("redirect_uris", "http://rp.example/cb")],
            "redirect_uris",
            "must use https",
        ),
        (
            &[("grant_types", "password")],
            "grant_types",
            "not a grant type",
        ),
        (&[("client_name", "  ")], "client_name", "cannot be empty"),
        (
            &[("backchannel_logout_uri", "rp.example/logout")],
            "backchannel_logout_uri",
            "absolute",
        ),
    ];

    for (changes, field, message) in cases {
        // Act
        let page = register(&browser, &app, changes).await;

        // Assert: the message sits right after the field's input.
        assert_eq!(page.status, 400, "{field}");
        let error = field_error(&page, field).unwrap_or_else(|| panic!("{field}: {}", page.html));
        assert!(error.contains(message), "{field}: {error}");
        let input_at = page.html.find(&format!("id=\"{field}\"")).unwrap();
        let error_at = page.html.find(&format!("id=\"{field}-error\"")).unwrap();
        assert!(input_at < error_at && error_at - input_at < 1200, "{field}");
        assert!(page.alert().is_some());
        assert!(stored_clients(&app).await.is_empty(), "{field} was saved");
    }
}

#[tokio::test]
async fn refused_input_keeps_what_was_typed_and_speaks_portuguese() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let new = open(&browser, &app, "/admin/clients/new").await;
    let csrf = new.field("csrf_token").unwrap();
    let mut form = client_form(&[("redirect_uris", "https://rp.example/cb#x")]);
    form.push(("csrf_token", &csrf));

    // Act
    let response = browser
        .http
        .post(format!("{}/admin/clients", app.address))
        .header("Accept-Language", "pt-BR")
        .form(&form)
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();

    // Assert
    assert!(html.contains("<html lang=\"pt-BR\">"));
    assert!(html.contains("não pode conter fragmento"), "{html}");
    assert!(html.contains("value=\"Console App\""));
    assert!(html.contains("https://rp.example/cb#x</textarea>"));
}

#[tokio::test]
async fn the_api_refuses_invalid_clients_naming_each_field() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, "admin:clients").await;
    let body = serde_json::json!({
        "client_name": "",
        "redirect_uris": ["https://rp.example/cb#x", "http://rp.example/cb"],
        "grant_types": ["password"],
    });

    // Act
    let (status, answer) = api(&app, Some(&token), Method::POST, "/clients", Some(body)).await;
    let (malformed, error) = api(
        &app,
        Some(&token),
        Method::POST,
        "/clients",
        Some(serde_json::json!([1])),
    )
    .await;

    // Assert
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "invalid_request");
    let fields: Vec<&str> = answer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["client_name", "redirect_uris", "grant_types"]);
    assert!(
        answer["fields"][1]["message"]
            .as_str()
            .unwrap()
            .contains("fragment")
    );
    assert_eq!(
        (malformed, error["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let stored = stored_clients(&app).await;
    assert_eq!(stored.len(), 1, "only the automation client");
}

#[tokio::test]
async fn a_registered_client_shows_its_secret_once_and_stores_only_a_hash() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;

    // Act
    let saved = register(&browser, &app, &[]).await;
    let client_id = text_of(&saved, "client-id");
    let secret = text_of(&saved, "client-secret");
    let edit = open(&browser, &app, &format!("/admin/clients/{client_id}")).await;

    // Assert: what a relying party needs is on the page.
    assert_eq!(saved.status, 200, "{}", saved.html);
    assert_eq!(text_of(&saved, "issuer"), app.address);
    assert_eq!(
        text_of(&saved, "discovery-url"),
        format!("{}/.well-known/openid-configuration", app.address)
    );
    assert!(!edit.html.contains(&secret));
    let stored = app
        .db
        .run(move |conn| Client::find(conn, &client_id))
        .await
        .unwrap();
    let hash = stored.secret_hash.clone().unwrap();
    assert_ne!(hash, secret);
    let hasher = ClientSecrets::new(&ServerSecret::new(SecretString::from(
        TEST_SECRET.to_owned(),
    )));
    assert!(hasher.verify(&PlainSecret::from_presented(&secret), &hash));
    assert_eq!(
        stored.grant_types,
        r#"["authorization_code","refresh_token"]"#
    );
}

#[tokio::test]
async fn an_admin_edits_gives_a_new_secret_to_and_deletes_a_client() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let browser = console_as_first_admin(&app).await;
    let saved = register(&browser, &app, &[]).await;
    let client_id = text_of(&saved, "client-id");
    let first_secret = text_of(&saved, "client-secret");
    let path = format!("/admin/clients/{client_id}");

    // Act: every field changes.
    let edit = open(&browser, &app, &path).await;
    let changes = [
        ("client_name", "Renamed App"),
        ("token_endpoint_auth_method", "client_secret_post"),
        ("first_party", "1"),
        ("post_logout_redirect_uris", "https://rp.example/bye"),
        ("backchannel_logout_uri", "https://rp.example/bc"),
        ("backchannel_logout_session_required", "1"),
        ("frontchannel_logout_uri", "https://rp.example/fc"),
        ("scope", "openid email admin:audit"),
        ("id_token_signed_response_alg", "ES256"),
        ("access_token_signed_response_alg", "PS256"),
        ("access_token_lifetime_secs", "120"),
        ("id_token_lifetime_secs", "300"),
        ("refresh_token_lifetime_secs", "3600"),
    ];
    let updated = post(&browser, &app, &edit, &path, &client_form(&changes)).await;
    let searched = open(&browser, &app, "/admin/clients?q=renamed").await;
    let missed = open(&browser, &app, "/admin/clients?q=nothing-like-it").await;
    let regenerated = post(&browser, &app, &edit, &format!("{path}/secret"), &[]).await;
    let second_secret = text_of(&regenerated, "client-secret");

    // Assert
    assert_eq!(updated.status, 200, "{}", updated.html);
    assert!(updated.html.contains("Client saved"));
    assert!(!updated.html.contains("id=\"client-secret\""));
    let id = client_id.clone();
    let stored = app
        .db
        .run(move |conn| Client::find(conn, &id))
        .await
        .unwrap();
    assert_eq!(stored.name, "Renamed App");
    assert_eq!(stored.token_endpoint_auth_method, "client_secret_post");
    assert!(stored.first_party);
    assert_eq!(
        stored.post_logout_redirect_uris,
        r#"["https://rp.example/bye"]"#
    );
    assert_eq!(
        stored.backchannel_logout_uri.as_deref(),
        Some("https://rp.example/bc")
    );
    assert!(stored.backchannel_logout_session_required);
    assert_eq!(
        stored.frontchannel_logout_uri.as_deref(),
        Some("https://rp.example/fc")
    );
    assert_eq!(stored.allowed_scopes, "admin:audit email openid");
    assert_eq!(stored.id_token_signed_response_alg, "ES256");
    assert_eq!(
        stored.access_token_signed_response_alg.as_deref(),
        Some("PS256")
    );
    assert_eq!(stored.access_token_lifetime_secs, Some(120));
    assert_eq!(stored.id_token_lifetime_secs, Some(300));
    assert_eq!(stored.refresh_token_lifetime_secs, Some(3600));
    assert!(searched.html.contains("Renamed App"));
    assert!(!missed.html.contains("Renamed App"));
    assert_ne!(first_secret, second_secret);

    // And deleting it leaves the list without it.
    let deleted = post(&browser, &app, &edit, &format!("{path}/delete"), &[]).await;
    assert!(deleted.html.contains("The client was deleted."));
    assert!(stored_clients(&app).await.is_empty());
    let gone = open(&browser, &app, &path).await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn automation_manages_clients_through_the_api() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, "admin:clients").await;
    let token = Some(token.as_str());
    let metadata = serde_json::json!({
        "client_name": "API App",
        "redirect_uris": ["https://rp.example/cb"],
        "access_token_signed_response_alg": "EdDSA",
    });

    // Act
    let (created, client) = api(&app, token, Method::POST, "/clients", Some(metadata)).await;
    let id = client["client_id"].as_str().unwrap().to_owned();
    let path = format!("/clients/{id}");
    let (_, shown) = api(&app, token, Method::GET, &path, None).await;
    let change = serde_json::json!({
        "client_name": "API App 2", "redirect_uris": ["https://rp.example/cb2"],
    });
    let (updated, changed) = api(&app, token, Method::PUT, &path, Some(change)).await;
    let (_, listed) = api(&app, token, Method::GET, "/clients?q=app%202", None).await;
    let (_, regenerated) = api(&app, token, Method::POST, &format!("{path}/secret"), None).await;
    let (deleted, _) = api(&app, token, Method::DELETE, &path, None).await;
    let (missing, error) = api(&app, token, Method::GET, &path, None).await;

    // Assert
    assert_eq!(created, 201, "{client}");
    assert!(client["client_secret"].as_str().is_some());
    assert_eq!(client["access_token_signed_response_alg"], "EdDSA");
    assert!(shown.get("client_secret").is_none());
    assert_eq!(updated, 200, "{changed}");
    assert_eq!(changed["redirect_uris"][0], "https://rp.example/cb2");
    assert_eq!(listed["clients"].as_array().unwrap().len(), 1);
    assert_ne!(regenerated["client_secret"], client["client_secret"]);
    assert_eq!(deleted, 204);
    assert_eq!(missing, 404);
    assert_eq!(error["error"], "not_found");
    assert!(error["error_description"].as_str().is_some());
}

/// The status of a `client_credentials` request with `id` and `secret`.
async fn client_credentials_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.http
        .post(format!("{}/token", app.address))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_new_secret_or_a_deletion_takes_effect_at_the_token_endpoint_at_once() {
    // Arrange: a service client that has just authenticated, so the
    // server holds it in memory.
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, "admin:clients").await;
    let token = Some(token.as_str());
    let metadata = serde_json::json!({
        "client_name": "Service",
        "grant_types": ["client_credentials"],
        "scope": "reports",
    });
    let (_, client) = api(&app, token, Method::POST, "/clients", Some(metadata)).await;
    let id = client["client_id"].as_str().unwrap().to_owned();
    let first = client["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(client_credentials_status(&app, &id, &first).await, 200);

    // Act
    let path = format!("/clients/{id}/secret");
    let (_, renewed) = api(&app, token, Method::POST, &path, None).await;
    let second = renewed["client_secret"].as_str().unwrap().to_owned();
    let old_after_renewal = client_credentials_status(&app, &id, &first).await;
    let new_after_renewal = client_credentials_status(&app, &id, &second).await;
    api(&app, token, Method::DELETE, &format!("/clients/{id}"), None).await;
    let after_deletion = client_credentials_status(&app, &id, &second).await;

    // Assert
    assert_eq!(old_after_renewal, 401);
    assert_eq!(new_after_renewal, 200);
    assert_eq!(after_deletion, 401);
}
