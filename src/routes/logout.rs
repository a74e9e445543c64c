//! `GET/POST /logout`: the end-session endpoint (OpenID Connect
//! RP-Initiated Logout 1.0). A valid `id_token_hint` proves the request
//! comes from a relying party the person used; without one the person
//! confirms on a page, so a third party cannot log anyone out.

use actix_web::cookie::Cookie;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::oidc::authorize::{load_client, server_error_page, signed_in};
use super::pages;
use super::upstream::end_session_upstream;
use crate::i18n::Catalog;
use crate::oidc::logout::{FrontChannelFrame, IdTokenHint, Logout};
use crate::oidc::session;
use crate::startup::AppState;
use crate::storage::models::client::Client;
use crate::storage::models::session::Session;

/// What the CSRF token of the confirmation form is bound to.
const CSRF_PURPOSE: &str = "logout";

#[derive(Debug, Default, Deserialize)]
pub struct LogoutParams {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
    logout: Option<String>,
    csrf_token: Option<String>,
}

#[derive(Template)]
#[template(path = "logout/confirm.html")]
struct ConfirmLogoutPage<'a> {
    t: &'a Catalog,
    csrf_token: &'a str,
    client_id: Option<&'a str>,
    post_logout_redirect_uri: Option<&'a str>,
    logout_state: Option<&'a str>,
    ui_locales: Option<&'a str>,
    request_id: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "logout/signed_out.html")]
struct SignedOutPage<'a> {
    t: &'a Catalog,
    frames: Vec<String>,
    continue_to: Option<String>,
    request_id: Option<&'a str>,
}

/// `GET /logout` (query) and `POST /logout` (form).
pub async fn end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let raw = match *req.method() == Method::POST {
        true => String::from_utf8_lossy(&body).into_owned(),
        false => req.query_string().to_owned(),
    };
    let params: LogoutParams = serde_urlencoded::from_str(&raw).unwrap_or_default();
    let t = pages::catalog_for(&req, params.ui_locales.as_deref());

    let hint = params
        .id_token_hint
        .as_deref()
        .and_then(|h| IdTokenHint::read(&state.keys.current(), &state.settings.issuer, h));
    let client = match logout_client(&state, &params, hint.as_ref()).await {
        Ok(client) => client,
        Err(message) => return bad_request(&req, t, &message),
    };
    let redirect = match redirect_target(&params, client.as_ref()) {
        Ok(redirect) => redirect,
        Err(message) => return bad_request(&req, t, &message),
    };
    let session = match signed_in(&req, &state).await {
        Ok(session) => session,
        Err(error) => return server_error_page(&req, &error),
    };

    if !confirmed(&req, &state, &params, hint.as_ref(), session.as_ref()) {
        return confirm_page(&req, &state, t, &params, client.as_ref());
    }
    finish(&req, &state, t, session, redirect).await
}

/// The client named by the hint or `client_id`; both must agree.
async fn logout_client(
    state: &AppState,
    params: &LogoutParams,
    hint: Option<&IdTokenHint>,
) -> Result<Option<Client>, String> {
    let from_hint = hint.and_then(IdTokenHint::client_id);
    let client_id = match (from_hint, params.client_id.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return Err("client_id does not match the id_token_hint".to_owned());
        }
        (Some(id), _) | (None, Some(id)) => id.to_owned(),
        (None, None) => return Ok(None),
    };
    match load_client(state, Some(&client_id)).await {
        Ok(Some(client)) => Ok(Some(client)),
        Ok(None) => Err("the client is not registered".to_owned()),
        Err(_) => Err("the client could not be loaded".to_owned()),
    }
}

/// The registered post-logout redirect URI with `state`, if one was asked
/// for; an unregistered one is refused, never followed.
fn redirect_target(
    params: &LogoutParams,
    client: Option<&Client>,
) -> Result<Option<String>, String> {
    let Some(uri) = params.post_logout_redirect_uri.as_deref() else {
        return Ok(None);
    };
    let Some(client) = client else {
        return Err("post_logout_redirect_uri needs id_token_hint or client_id".to_owned());
    };
    let registered: Vec<String> =
        serde_json::from_str(&client.post_logout_redirect_uris).unwrap_or_default();
    if !registered.iter().any(|r| r == uri) {
        return Err("post_logout_redirect_uri is not registered for this client".to_owned());
    }
    let mut url =
        url::Url::parse(uri).map_err(|_| "post_logout_redirect_uri is malformed".to_owned())?;
    if let Some(state) = &params.state {
        url.query_pairs_mut().append_pair("state", state);
    }
    Ok(Some(url.to_string()))
}

/// A hint for the signed-in person, or the confirmation form posted back.
fn confirmed(
    req: &HttpRequest,
    state: &AppState,
    params: &LogoutParams,
    hint: Option<&IdTokenHint>,
    session: Option<&Session>,
) -> bool {
    let hint_matches = match (hint, session) {
        (Some(hint), Some(session)) => hint.sub == session.user_id,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let form_confirmed = *req.method() == Method::POST
        && params.logout.as_deref() == Some("yes")
        && state.csrf.verify(
            req,
            CSRF_PURPOSE,
            params.csrf_token.as_deref().unwrap_or_default(),
            state.secure_cookies(),
        );
    hint_matches || form_confirmed
}

async fn finish(
    req: &HttpRequest,
    state: &AppState,
    t: &Catalog,
    session: Option<Session>,
    redirect: Option<String>,
) -> HttpResponse {
    let (frames, upstream) = match session {
        Some(session) => {
            let logout = Logout {
                db: &state.db,
                keys: &state.keys,
                deny_list: &state.deny_list,
                issuer: &state.settings.issuer,
                now: state.clock.now(),
                actor: None,
            };
            let frames = match logout.end(&session).await {
                Ok(frames) => frames,
                Err(error) => return server_error_page(req, &error),
            };
            let upstream = end_session_upstream(state, &session, redirect.as_deref()).await;
            (frames, upstream)
        }
        None => (Vec::new(), None),
    };

    // A session from an upstream set to be signed out of goes there next;
    // the upstream sends the person on to `redirect` afterwards.
    let redirect = upstream.or(redirect);
    let mut response = match (frames.is_empty(), redirect) {
        (true, Some(uri)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, uri))
            .finish(),
        (_, redirect) => signed_out_page(req, t, &frames, redirect),
    };
    let _ = response.add_removal_cookie(
        &Cookie::build(session::cookie_name(state.secure_cookies()), "")
            .path("/")
            .finish(),
    );
    response
}

/// The signed-out page, loading each front-channel URI in an iframe; its CSP
/// allows exactly those frames.
pub(crate) fn signed_out_page(
    req: &HttpRequest,
    t: &Catalog,
    frames: &[FrontChannelFrame],
    continue_to: Option<String>,
) -> HttpResponse {
    let request_id = pages::request_id(req);
    let page = SignedOutPage {
        t,
        frames: frames.iter().map(|f| f.url.clone()).collect(),
        continue_to,
        request_id: request_id.as_deref(),
    };
    let mut response = pages::render(StatusCode::OK, &page);
    pages::allow_frames(&mut response, frames);
    response
}

fn confirm_page(
    req: &HttpRequest,
    state: &AppState,
    t: &Catalog,
    params: &LogoutParams,
    client: Option<&Client>,
) -> HttpResponse {
    let (csrf_token, cookie) = state.csrf.issue(req, CSRF_PURPOSE, state.secure_cookies());
    let request_id = pages::request_id(req);
    let page = ConfirmLogoutPage {
        t,
        csrf_token: &csrf_token,
        client_id: client.map(|c| c.id.as_str()),
        post_logout_redirect_uri: params.post_logout_redirect_uri.as_deref(),
        logout_state: params.state.as_deref(),
        ui_locales: params.ui_locales.as_deref(),
        request_id: request_id.as_deref(),
    };
    let mut response = pages::render(StatusCode::OK, &page);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

fn bad_request(req: &HttpRequest, t: &Catalog, detail: &str) -> HttpResponse {
    let message = t.format("error.bad_request", &[("detail", detail)]);
    pages::error_page(
        StatusCode::BAD_REQUEST,
        t,
        &message,
        pages::request_id(req).as_deref(),
    )
}
