//! `GET/POST /consent`: the person allows or denies a client the scopes it
//! asked for.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::login::{PageQuery, pending_request};
use super::oidc::authorization_response::{self as response, ResponseTarget};
use super::oidc::authorize::{expired_page, load_client, proceed, server_error_page, signed_in};
use super::pages::{self, ConsentPage};
use crate::domain::Scopes;
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::flow::Progress;
use crate::oidc::pending;
use crate::startup::AppState;
use crate::storage::models::client::Client;
use crate::storage::models::consent::Consent;
use crate::storage::models::session::Session;
use crate::storage::models::user::User;

#[derive(Deserialize)]
pub struct ConsentForm {
    request: Option<String>,
    csrf_token: Option<String>,
    decision: Option<String>,
}

/// `GET /consent?request=...`
pub async fn consent_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let Some((id, request)) = pending_request(&state, query.request.as_deref()).await else {
        return expired_page(&req, None);
    };
    let Some((session, client)) = context(&req, &state, &request).await else {
        return expired_page(&req, request.ui_locales.as_deref());
    };
    show(&req, &state, &id, &request, &session, &client).await
}

/// `POST /consent`
pub async fn consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let Some((id, request)) = pending_request(&state, form.request.as_deref()).await else {
        return expired_page(&req, None);
    };
    let Some((session, client)) = context(&req, &state, &request).await else {
        return expired_page(&req, request.ui_locales.as_deref());
    };
    if !state.csrf.verify(
        &req,
        &id,
        form.csrf_token.as_deref().unwrap_or_default(),
        state.secure_cookies(),
    ) {
        return show(&req, &state, &id, &request, &session, &client).await;
    }

    match form.decision.as_deref() {
        Some("allow") => allow(&req, &state, id, request, session, &client).await,
        Some("deny") => deny(&req, &state, &id, &request, &session).await,
        _ => show(&req, &state, &id, &request, &session, &client).await,
    }
}

async fn allow(
    req: &HttpRequest,
    state: &AppState,
    id: String,
    request: AuthorizationRequest,
    session: Session,
    client: &Client,
) -> HttpResponse {
    let (user_id, client_id, now) = (
        session.user_id.clone(),
        client.id.clone(),
        state.clock.now(),
    );
    let requested = request.scopes();
    let granted = state
        .db
        .run(move |conn| {
            let before = Consent::granted(conn, &user_id, &client_id)?.unwrap_or_default();
            let all = Scopes::parse(&format!("{before} {requested}"))
                .unwrap_or_default()
                .to_string();
            Consent::grant(conn, &user_id, &client_id, &all, now)
        })
        .await;
    if let Err(error) = granted {
        return server_error_page(req, &error);
    }
    tracing::info!(target: "audit", user_id = %session.user_id, client_id = %client.id, "consent granted");

    // The consent just given answers `prompt=consent`.
    let mut answered = request;
    answered
        .prompts
        .retain(|p| *p != crate::oidc::authorize::Prompt::Consent);
    proceed(
        req,
        state,
        client,
        answered,
        Some(id),
        Some(session),
        // Consent proves nothing about the sign-in: a request that wants a
        // fresh one still goes to the sign-in page.
        Progress::default(),
    )
    .await
}

async fn deny(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    request: &AuthorizationRequest,
    session: &Session,
) -> HttpResponse {
    match pending::take(&state.db, id).await {
        Ok(true) => {}
        Ok(false) => return expired_page(req, request.ui_locales.as_deref()),
        Err(error) => return server_error_page(req, &error),
    }
    tracing::info!(target: "audit", user_id = %session.user_id, client_id = %request.client_id, "consent denied");
    let target = ResponseTarget {
        issuer: &state.settings.issuer,
        redirect_uri: &request.redirect_uri,
        response_mode: request.response_mode,
        state: request.state.as_deref(),
    };
    response::error(
        req,
        &target,
        &OAuthError::new(ErrorCode::AccessDenied, "the person denied the request"),
    )
}

/// The signed-in session and the client, both needed to ask for consent.
async fn context(
    req: &HttpRequest,
    state: &AppState,
    request: &AuthorizationRequest,
) -> Option<(Session, Client)> {
    let session = signed_in(req, state).await.ok().flatten()?;
    let client = load_client(state, Some(&request.client_id))
        .await
        .ok()
        .flatten()?;
    Some((session, client))
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    request: &AuthorizationRequest,
    session: &Session,
    client: &Client,
) -> HttpResponse {
    let user_id = session.user_id.clone();
    let user = match state.db.run(move |conn| User::find(conn, &user_id)).await {
        Ok(user) => user,
        Err(error) => return server_error_page(req, &error),
    };
    let t = pages::catalog_for(req, request.ui_locales.as_deref());
    let scopes = request.scopes();
    let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let (csrf_token, cookie) = state.csrf.issue(req, id, state.secure_cookies());
    let request_id = pages::request_id(req);

    let page = ConsentPage {
        t,
        authorization_request: id,
        csrf_token: &csrf_token,
        username: &user.username,
        client_name: &client.name,
        scopes: pages::scope_lines(t, &names),
        request_id: request_id.as_deref(),
    };
    let mut response = pages::render(StatusCode::OK, &page);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}
