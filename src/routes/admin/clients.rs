//! `/admin/clients`: the list with search, the registration and edit form,
//! deletion and new secrets. A refused field is shown beside its input and
//! nothing is saved; a new secret is shown once, on the page that follows
//! the change, with what a relying party needs to use it.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client_form::ClientValues;
use super::{AdminForm, Chrome, context, failure_page, see_other};
use crate::admin::AdminError;
use crate::clients::RegisteredClient;
use crate::clients::fields::FieldError;
use crate::i18n::Catalog;
use crate::middleware::admin_guard::AdminUser;
use crate::startup::AppState;

/// The grant types the form offers, in its order.
const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post", "none"];
const ID_TOKEN_ALGS: &[&str] = &["RS256", "PS256", "ES256", "EdDSA", "HS256"];
/// The empty choice takes `tokens.access_token_signing_alg`.
const ACCESS_TOKEN_ALGS: &[&str] = &["", "RS256", "PS256", "ES256", "EdDSA"];

#[derive(Template)]
#[template(path = "admin/clients/list.html")]
struct ClientListPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    query: String,
    clients: Vec<RegisteredClient>,
}

#[derive(Template)]
#[template(path = "admin/clients/form.html")]
struct ClientFormPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    /// `None` for a new client.
    client_id: Option<&'a str>,
    values: ClientValues,
    /// Translated messages by field name.
    errors: BTreeMap<&'static str, String>,
    /// A refusal that concerns no single field.
    alert: Option<String>,
}

impl ClientFormPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn has_grant(&self, grant: &&str) -> bool {
        self.values.grant_types.iter().any(|g| g == grant)
    }

    fn grant_types(&self) -> &'static [&'static str] {
        GRANT_TYPES
    }

    fn auth_methods(&self) -> &'static [&'static str] {
        AUTH_METHODS
    }

    fn auth_label(&self, method: &str) -> &str {
        match method {
            "client_secret_basic" => self.t.text("admin.clients.auth.client_secret_basic"),
            "client_secret_post" => self.t.text("admin.clients.auth.client_secret_post"),
            _ => self.t.text("admin.clients.auth.none"),
        }
    }

    fn id_token_algs(&self) -> &'static [&'static str] {
        ID_TOKEN_ALGS
    }

    fn access_token_algs(&self) -> &'static [&'static str] {
        ACCESS_TOKEN_ALGS
    }
}

/// The page after a registration, an edit that made a secret, or a new
/// secret: what the relying party's configuration needs.
#[derive(Template)]
#[template(path = "admin/clients/saved.html")]
struct ClientSavedPage<'a> {
    t: &'a Catalog,
    request_id: Option<&'a str>,
    chrome: &'a Chrome,
    heading: &'a str,
    client: &'a RegisteredClient,
    issuer: &'a str,
    discovery_url: String,
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `GET /admin/clients?q=`
pub async fn list_clients(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<SearchQuery>,
) -> HttpResponse {
    let query = query.into_inner().q.unwrap_or_default();
    let clients = context(&state, &admin).clients();
    let found = match clients.search(&query).await {
        Ok(found) => found,
        Err(error) => return failure_page(&req, &error.into()),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let page = ClientListPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome: &chrome,
        query,
        clients: found,
    };
    chrome.render(StatusCode::OK, &page)
}

/// `GET /admin/clients/new`
pub async fn new_client_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> HttpResponse {
    let chrome = Chrome::new(&req, &state, &admin);
    show_form(&chrome, None, ClientValues::new_client(), Vec::new(), None)
}

/// `POST /admin/clients`
pub async fn create_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: AdminForm,
) -> HttpResponse {
    let values = ClientValues::from_form(&form);
    let chrome = Chrome::new(&req, &state, &admin);
    let metadata = match values.metadata() {
        Ok(metadata) => metadata,
        Err(fields) => return show_form(&chrome, None, values, fields, None),
    };

    let clients = context(&state, &admin).clients();
    match clients.register(&metadata).await.map_err(AdminError::from) {
        Ok(client) => show_saved(&chrome, &state, "admin.clients.registered", &client),
        Err(error) => refused(&req, &chrome, None, values, error),
    }
}

/// `GET /admin/clients/{client_id}`
pub async fn edit_client_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> HttpResponse {
    let clients = context(&state, &admin).clients();
    let client = match clients.find(&path).await {
        Ok(client) => client,
        Err(error) => return failure_page(&req, &error.into()),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    let values = ClientValues::from_registered(&client);
    show_form(&chrome, Some(&client.client_id), values, Vec::new(), None)
}

/// `POST /admin/clients/{client_id}`
pub async fn update_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    form: AdminForm,
) -> HttpResponse {
    let values = ClientValues::from_form(&form);
    let chrome = Chrome::new(&req, &state, &admin);
    let metadata = match values.metadata() {
        Ok(metadata) => metadata,
        Err(fields) => return show_form(&chrome, Some(path.as_str()), values, fields, None),
    };

    let clients = context(&state, &admin).clients();
    match clients
        .update(&path, &metadata)
        .await
        .map_err(AdminError::from)
    {
        Ok(client) => show_saved(&chrome, &state, "admin.clients.saved", &client),
        Err(error) => refused(&req, &chrome, Some(path.as_str()), values, error),
    }
}

/// `POST /admin/clients/{client_id}/delete`
pub async fn delete_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    _form: AdminForm,
) -> HttpResponse {
    let clients = context(&state, &admin).clients();

    match clients.delete(&path).await {
        Ok(()) => see_other("/clients", "client_deleted"),
        Err(error) => failure_page(&req, &error.into()),
    }
}

/// `POST /admin/clients/{client_id}/secret`
pub async fn regenerate_client_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    _form: AdminForm,
) -> HttpResponse {
    let clients = context(&state, &admin).clients();
    let client = match clients.regenerate_secret(&path).await {
        Ok(client) => client,
        Err(error) => return failure_page(&req, &error.into()),
    };

    let chrome = Chrome::new(&req, &state, &admin);
    show_saved(&chrome, &state, "admin.clients.new_secret", &client)
}

/// Shows the form again after the operation refused it: beside the fields
/// it names, or above the form for a rule that ties fields together.
fn refused(
    req: &HttpRequest,
    chrome: &Chrome,
    client_id: Option<&str>,
    values: ClientValues,
    error: AdminError,
) -> HttpResponse {
    match error {
        AdminError::Fields(fields) => show_form(chrome, client_id, values, fields, None),
        AdminError::Invalid(message) | AdminError::Conflict(message) => {
            let alert = chrome
                .t
                .format("admin.error.refused", &[("detail", &message)]);
            show_form(chrome, client_id, values, Vec::new(), Some(alert))
        }
        other => failure_page(req, &other),
    }
}

fn show_form(
    chrome: &Chrome,
    client_id: Option<&str>,
    values: ClientValues,
    fields: Vec<FieldError>,
    alert: Option<String>,
) -> HttpResponse {
    let t = chrome.t;
    let mut errors = BTreeMap::new();
    for error in &fields {
        let args = error.problem.args();
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        errors
            .entry(error.field)
            .or_insert_with(|| t.format(error.problem.message_key(), &args));
    }
    let alert =
        alert.or_else(|| (!errors.is_empty()).then(|| t.text("admin.error.fields").to_owned()));
    let status = match errors.is_empty() && alert.is_none() {
        true => StatusCode::OK,
        false => StatusCode::BAD_REQUEST,
    };

    let page = ClientFormPage {
        t,
        request_id: chrome.request_id.as_deref(),
        chrome,
        client_id,
        values,
        errors,
        alert,
    };
    chrome.render(status, &page)
}

fn show_saved(
    chrome: &Chrome,
    state: &AppState,
    heading: &str,
    client: &RegisteredClient,
) -> HttpResponse {
    let issuer = &state.settings.issuer;
    let page = ClientSavedPage {
        t: chrome.t,
        request_id: chrome.request_id.as_deref(),
        chrome,
        heading: chrome.t.text(heading),
        client,
        issuer,
        discovery_url: format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
    };
    chrome.render(StatusCode::OK, &page)
}
