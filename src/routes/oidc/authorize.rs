//! `GET/POST /authorize`, and the step shared with the sign-in and consent
//! pages: deciding what comes next for a validated request.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::authorization_response::{self as response, ResponseTarget};
use crate::domain::ClientId;
use crate::oidc::authorize::{
    self, AuthorizationRequest, AuthorizeParams, Rejection, UntrustedRequest,
};
use crate::oidc::flow::{self, Progress, Step};
use crate::oidc::{codes, pending, session};
use crate::routes::pages;
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::client::Client;
use crate::storage::models::consent::Consent;
use crate::storage::models::session::Session;
use crate::storage::models::user::User;

/// `GET /authorize` (query) and `POST /authorize` (form body).
pub async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let raw = match *req.method() == Method::POST {
        true => String::from_utf8_lossy(&body).into_owned(),
        false => req.query_string().to_owned(),
    };
    let params = match parse_params(&raw) {
        Ok(params) => params,
        Err(problem) => return untrusted_page(&req, &UntrustedRequest::Malformed(problem), None),
    };

    let client = match load_client(&state, params.client_id.as_deref()).await {
        Ok(client) => client,
        Err(error) => return server_error_page(&req, &error),
    };
    let request = match authorize::validate(&params, client.as_ref()) {
        Ok(request) => request,
        Err(Rejection::Untrusted(kind)) => {
            return untrusted_page(&req, &kind, params.ui_locales.as_deref());
        }
        Err(Rejection::Redirect(redirect)) => {
            return response::rejected(&req, &state.settings.issuer, &redirect);
        }
    };
    let Some(client) = client else {
        return untrusted_page(&req, &UntrustedRequest::UnknownClient, None);
    };

    let session = match signed_in(&req, &state).await {
        Ok(session) => session,
        Err(error) => return server_error_page(&req, &error),
    };
    proceed(
        &req,
        &state,
        &client,
        request,
        None,
        session,
        Progress::default(),
    )
    .await
}

/// Moves a valid request on: to sign-in, to consent, or back to the client
/// with a code or an error. `pending_id` names the stored request when it
/// came back from a page.
pub async fn proceed(
    req: &HttpRequest,
    state: &AppState,
    client: &Client,
    request: AuthorizationRequest,
    pending_id: Option<String>,
    session: Option<Session>,
    progress: Progress,
) -> HttpResponse {
    let now = state.clock.now();
    let granted = match granted_scopes(state, session.as_ref(), &client.id).await {
        Ok(granted) => granted,
        Err(error) => return server_error_page(req, &error),
    };

    let step = flow::next_step(
        &request,
        session.as_ref(),
        granted.as_deref(),
        client.first_party,
        progress,
        now,
    );
    let target = ResponseTarget {
        issuer: &state.settings.issuer,
        redirect_uri: &request.redirect_uri,
        response_mode: request.response_mode,
        state: request.state.as_deref(),
    };
    let outcome = match (step, session) {
        (Step::Login, _) => return to_page(req, state, "/login", &request, pending_id).await,
        (Step::Consent, _) => return to_page(req, state, "/consent", &request, pending_id).await,
        (Step::Fail(error), _) => Err(error),
        (Step::IssueCode, Some(session)) => Ok(session),
        (Step::IssueCode, None) => return server_error_page(req, &StorageError::NotFound),
    };

    if let Some(id) = &pending_id {
        match pending::take(&state.db, id).await {
            Ok(true) => {}
            Ok(false) => return expired_page(req, request.ui_locales.as_deref()),
            Err(error) => return server_error_page(req, &error),
        }
    }
    match outcome {
        Err(error) => response::error(req, &target, &error),
        Ok(session) => match issue_code(state, &request, &session, now).await {
            Ok(code) => response::success(req, &target, &code),
            Err(error) => server_error_page(req, &error),
        },
    }
}

async fn issue_code(
    state: &AppState,
    request: &AuthorizationRequest,
    session: &Session,
    now: i64,
) -> Result<String, StorageError> {
    let sid = session::sid_for_client(&state.db, session, &request.client_id, now).await?;
    let lifetime = state.settings.tokens.authorization_code_lifetime_secs;
    let code = codes::issue(&state.db, request, session, &sid, now, lifetime).await?;
    tracing::info!(target: "audit", client_id = %request.client_id, user_id = %session.user_id, "authorization code issued");
    Ok(code)
}

/// Stores the request (once) and sends the browser to the page.
async fn to_page(
    req: &HttpRequest,
    state: &AppState,
    path: &str,
    request: &AuthorizationRequest,
    pending_id: Option<String>,
) -> HttpResponse {
    let id = match pending_id {
        Some(id) => id,
        None => match pending::store(&state.db, request, state.clock.now()).await {
            Ok(id) => id,
            Err(error) => return server_error_page(req, &error),
        },
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{path}?request={id}")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

async fn granted_scopes(
    state: &AppState,
    session: Option<&Session>,
    client_id: &str,
) -> Result<Option<String>, StorageError> {
    let Some(session) = session else {
        return Ok(None);
    };
    let (user_id, client_id) = (session.user_id.clone(), client_id.to_owned());
    state
        .db
        .run(move |conn| Consent::granted(conn, &user_id, &client_id))
        .await
}

/// The browser's live SSO session, if its user may still sign in.
pub async fn signed_in(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<Session>, StorageError> {
    let Some(cookie) = req.cookie(session::cookie_name(state.secure_cookies())) else {
        return Ok(None);
    };
    let idle = state.settings.sessions.idle_lifetime_secs;
    let Some(found) = session::find(&state.db, cookie.value(), state.clock.now(), idle).await?
    else {
        return Ok(None);
    };
    let user_id = found.user_id.clone();
    let user = state.db.run(move |conn| User::find(conn, &user_id)).await?;
    Ok((!user.disabled).then_some(found))
}

pub async fn load_client(
    state: &AppState,
    client_id: Option<&str>,
) -> Result<Option<Client>, StorageError> {
    // An id no client can have is unknown without asking the database, which
    // may refuse it (PostgreSQL rejects NUL in text).
    let Some(id) = client_id
        .filter(|id| ClientId::parse(id).is_ok())
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    match state.db.run(move |conn| Client::find(conn, &id)).await {
        Ok(client) => Ok(Some(client)),
        Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Parameters without a value count as omitted (OpenID Connect Core 3.1.2.1);
/// one given twice makes the request invalid (RFC 6749 section 3.1).
fn parse_params(raw: &str) -> Result<AuthorizeParams, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| "the parameters are not form-encoded".to_owned())?;
    let mut fields = serde_json::Map::new();
    for (name, value) in pairs {
        if value.is_empty() || !authorize::SINGLE_VALUED.contains(&name.as_str()) {
            continue;
        }
        if fields.insert(name.clone(), value.into()).is_some() {
            return Err(format!("the parameter `{name}` is given more than once"));
        }
    }
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|_| "the parameters are malformed".to_owned())
}

fn untrusted_page(
    req: &HttpRequest,
    kind: &UntrustedRequest,
    ui_locales: Option<&str>,
) -> HttpResponse {
    let t = pages::catalog_for(req, ui_locales);
    let message = match kind {
        UntrustedRequest::MissingClientId => t.text("error.missing_client_id").to_owned(),
        UntrustedRequest::UnknownClient => t.text("error.unknown_client").to_owned(),
        UntrustedRequest::InvalidRedirectUri => t.text("error.invalid_redirect_uri").to_owned(),
        UntrustedRequest::Malformed(detail) => t.format("error.bad_request", &[("detail", detail)]),
    };
    pages::error_page(
        StatusCode::BAD_REQUEST,
        t,
        &message,
        pages::request_id(req).as_deref(),
    )
}

pub fn expired_page(req: &HttpRequest, ui_locales: Option<&str>) -> HttpResponse {
    let t = pages::catalog_for(req, ui_locales);
    pages::error_page(
        StatusCode::BAD_REQUEST,
        t,
        t.text("error.expired_request"),
        pages::request_id(req).as_deref(),
    )
}

pub fn server_error_page(req: &HttpRequest, error: &dyn std::error::Error) -> HttpResponse {
    tracing::error!(error = %error, "a sign-in step failed");
    let t = pages::catalog_for(req, None);
    pages::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        t,
        t.text("error.server"),
        pages::request_id(req).as_deref(),
    )
}
