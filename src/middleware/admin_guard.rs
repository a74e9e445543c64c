//! The admin guards, wrapped around `/admin` and `/api/admin/v1` in
//! `startup.rs`, so no handler behind them runs for anyone else.
//!
//! The console wants a signed-in person with the `admin` role: anyone else
//! gets a 403 page, and someone not signed in is sent to sign in and back.
//! The API wants one of our access tokens: for a person (`sub` is a user),
//! that user must still hold the `admin` role and be enabled; for a client
//! acting for itself (`sub` is its `client_id`, from the client credentials
//! grant), the client must still exist. Which admin scope each endpoint
//! needs is checked later, by the [`ApiCaller`] extractor, from the table
//! in `routes::admin_api`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};

use crate::audit::Actor;
use crate::domain::{Role, Scopes};
use crate::oidc::access_token;
use crate::routes::admin_api::{ApiError, RequiredScope};
use crate::routes::oidc::authorize::{server_error_page, signed_in};
use crate::routes::pages;
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::client::Client;
use crate::storage::models::user::User;

/// The admin using the console, put in the request by [`require_admin`].
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub user: User,
    pub actor: Actor,
}

/// Who calls the admin API and with which scopes, put in the request by
/// [`require_admin_token`].
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub actor: Actor,
    pub scopes: Scopes,
}

/// Guards the console.
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("no state"));
    };
    let refused = match console_user(req.request(), &state).await {
        Ok(admin) => {
            req.extensions_mut().insert(admin);
            return Ok(next.call(req).await?.map_into_left_body());
        }
        Err(refused) => refused,
    };
    Ok(req.into_response(refused).map_into_right_body())
}

/// Guards the admin API.
pub async fn require_admin_token(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("no state"));
    };
    let error = match api_caller(req.request(), &state).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            return Ok(next.call(req).await?.map_into_left_body());
        }
        Err(error) => error,
    };
    Ok(req
        .into_response(error.error_response())
        .map_into_right_body())
}

async fn console_user(req: &HttpRequest, state: &AppState) -> Result<AdminUser, HttpResponse> {
    if has_nul(req) {
        let t = pages::catalog_for(req, None);
        let id = pages::request_id(req);
        let message = t.text("admin.error.form");
        return Err(pages::error_page(
            StatusCode::BAD_REQUEST,
            t,
            message,
            id.as_deref(),
        ));
    }
    let session = match signed_in(req, state).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(to_sign_in(req)),
        Err(error) => return Err(server_error_page(req, &error)),
    };
    let user_id = session.user_id.clone();
    let user = match state.db.run(move |conn| User::find(conn, &user_id)).await {
        Ok(user) => user,
        Err(error) => return Err(server_error_page(req, &error)),
    };
    if !is_admin(&user) {
        let t = pages::catalog_for(req, None);
        let id = pages::request_id(req);
        let message = t.text("admin.forbidden");
        return Err(pages::error_page(
            StatusCode::FORBIDDEN,
            t,
            message,
            id.as_deref(),
        ));
    }
    let actor = Actor::user(&user.username, peer_address(req));
    Ok(AdminUser { user, actor })
}

/// To the sign-in page, which comes back here: to the page asked for on a
/// GET, to the console's start on anything else (a form cannot be resent).
fn to_sign_in(req: &HttpRequest) -> HttpResponse {
    let back = match *req.method() == actix_web::http::Method::GET {
        true => req.path(),
        false => "/admin",
    };
    let location = format!(
        "/login?{}",
        serde_urlencoded::to_string([("next", back)]).unwrap_or_default()
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn api_caller(req: &HttpRequest, state: &AppState) -> Result<ApiCaller, ApiError> {
    if has_nul(req) {
        return Err(ApiError::InvalidRequest(
            "the path or query contains NUL".to_owned(),
        ));
    }
    let token = bearer_token(req)?;
    let keys = state.keys.current();
    let claims = access_token::validate(
        &keys,
        &state.deny_list,
        &state.settings.issuer,
        state.clock.now(),
        &token,
    )
    .map_err(|e| ApiError::InvalidToken(e.description))?;

    let scopes = claims.scopes();
    let address = peer_address(req);
    if claims.sub == claims.client_id {
        let id = claims.client_id.clone();
        match state.db.run(move |conn| Client::find(conn, &id)).await {
            Ok(_) => {}
            Err(StorageError::NotFound) => {
                return Err(ApiError::InvalidToken(
                    "the token's client is gone".to_owned(),
                ));
            }
            Err(other) => return Err(other.into()),
        }
        let actor = Actor::client(&claims.client_id, address);
        return Ok(ApiCaller { actor, scopes });
    }

    let sub = claims.sub.clone();
    let user = match state.db.run(move |conn| User::find(conn, &sub)).await {
        Ok(user) if !user.disabled => user,
        Ok(_) | Err(StorageError::NotFound) => {
            return Err(ApiError::InvalidToken(
                "the token's user can no longer sign in".to_owned(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    if !is_admin(&user) {
        return Err(ApiError::NotAdmin);
    }
    let actor = Actor::user(&user.username, address);
    Ok(ApiCaller { actor, scopes })
}

/// The token of `Authorization: Bearer`; the admin API takes it nowhere else.
fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token {
        Some(token) => Ok(token.to_owned()),
        None => Err(ApiError::InvalidToken(
            "the Authorization header must carry a Bearer token".to_owned(),
        )),
    }
}

/// No id, name or search text has NUL, and PostgreSQL cannot even compare
/// with one, so such a request is refused before it reaches a query.
fn has_nul(req: &HttpRequest) -> bool {
    let uri = req.uri();
    let parts = [Some(uri.path()), uri.query()];
    parts.into_iter().flatten().any(|part| part.contains("%00"))
}

fn is_admin(user: &User) -> bool {
    !user.disabled
        && user
            .role_names()
            .is_ok_and(|roles| roles.iter().any(|r| r == Role::ADMIN))
}

fn peer_address(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|peer| peer.ip().to_string())
}

/// Handlers behind the console guard take the admin as an argument. Outside
/// the guard there is none, and the request is refused rather than served.
impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<AdminUser, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let admin = req.extensions().get::<AdminUser>().cloned();
        std::future::ready(admin.ok_or_else(|| actix_web::error::ErrorForbidden("not an admin")))
    }
}

/// Handlers behind the API guard take the caller as an argument; taking it
/// checks the scope the endpoint's table row names (see
/// `routes::admin_api::ENDPOINTS`), failing closed when a row names none.
impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<ApiCaller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = req.extensions().get::<ApiCaller>().cloned();
        let required = req.app_data::<RequiredScope>().copied();
        let checked = match (caller, required) {
            (Some(caller), Some(RequiredScope(scope)))
                if caller.scopes.contains(scope.as_str()) =>
            {
                Ok(caller)
            }
            (Some(_), Some(RequiredScope(scope))) => Err(ApiError::InsufficientScope(scope)),
            (None, _) => Err(ApiError::MissingToken),
            (Some(_), None) => Err(ApiError::NotAdmin),
        };
        std::future::ready(checked)
    }
}
