//! `GET /upstream/{name}/callback`: the upstream sends the person back with
//! a code (or an error). The attempt cookie must open and name this
//! upstream, its `state` must be the one sent back, the code must redeem
//! and what the upstream says must verify; only then is the local user
//! found, linked or created and the SSO session stored, in one transaction.
//! The cookie is removed whatever happens, so a callback works once.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::Connection;
use serde::Deserialize;
use serde_json::json;

use super::failure::{self, Failure};
use super::{attempt_removal, unknown_upstream};
use crate::audit::{self, Action, Actor};
use crate::oidc::session::{self, NewSession};
use crate::routes::login::{self, SignInFor};
use crate::routes::oidc::authorize::{expired_page, signed_in};
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::session::Session;
use crate::storage::models::user::User;
use crate::upstream::attempt::{Attempt, Purpose, same_state};
use crate::upstream::linking::{self, LinkingError};
use crate::upstream::{Upstream, UpstreamError, UpstreamProfile, callback_uri};

/// The authorization response (RFC 6749 sections 4.1.2 and 4.1.2.1).
#[derive(Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// The `amr` of every federated session (the upstream's registered values
/// follow it): the person authenticated somewhere else.
const FEDERATED_AMR: &str = "fed";

/// `GET /upstream/{name}/callback?code=...&state=...`
pub async fn upstream_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> HttpResponse {
    let Some(upstream) = state.upstreams.get(&name).cloned() else {
        return unknown_upstream(&req);
    };
    // Malformed parameters (one given twice, bad encoding) count as absent,
    // which fails the state check with a page rather than a bare 400.
    let query: CallbackQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut response = match read_attempt(&req, &state, &name) {
        None => {
            let failure = Failure::UnknownAttempt;
            failure::respond(&req, &state, upstream.as_ref(), None, failure).await
        }
        Some(attempt) => match finish(&req, &state, &upstream, &attempt, &query).await {
            Ok(response) => response,
            Err(failure) => {
                let purpose = Some(&attempt.purpose);
                failure::respond(&req, &state, upstream.as_ref(), purpose, failure).await
            }
        },
    };
    let _ = response.add_removal_cookie(&attempt_removal(&state));
    response
}

fn read_attempt(req: &HttpRequest, state: &AppState, name: &str) -> Option<Attempt> {
    let secure = state.secure_cookies();
    let cookie = req.cookie(crate::upstream::attempt::cookie_name(secure))?;
    let sealer = state.upstreams.sealer();
    match Attempt::open(sealer, name, cookie.value(), state.clock.now()) {
        Ok(attempt) => Some(attempt),
        Err(error) => {
            tracing::info!(error = %error, "an upstream callback came with an unusable attempt");
            None
        }
    }
}

async fn finish(
    req: &HttpRequest,
    state: &AppState,
    upstream: &Arc<dyn Upstream>,
    attempt: &Attempt,
    query: &CallbackQuery,
) -> Result<HttpResponse, Failure> {
    let given = query.state.as_deref().unwrap_or_default();
    if !same_state(&attempt.secrets.state, given) {
        return Err(Failure::StateMismatch);
    }
    // An `iss` that is not the upstream's means the response comes from
    // another server than the request went to (RFC 9207 section 2.4).
    if let (Some(iss), Some(expected)) = (query.iss.as_deref(), upstream.issuer())
        && iss != expected
    {
        return Err(UpstreamError::WrongIssuer.into());
    }
    if let Some(error) = query.error.as_deref() {
        return Err(upstream_error(error).into());
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(Failure::MissingCode);
    };

    let redirect_uri = callback_uri(&state.settings.issuer, upstream.name());
    let identify = upstream.identify(&attempt.secrets, code, &redirect_uri);
    match &attempt.purpose {
        Purpose::SignIn { request } => {
            // The pending request must still wait before the code is spent.
            let Some(target) = login::target(state, request.as_deref(), None).await else {
                return Ok(expired_page(req, None));
            };
            sign_in(req, state, upstream, identify.await?, target).await
        }
        Purpose::Link { user_id } => link(req, state, upstream, identify.await?, user_id).await,
    }
}

/// The error an upstream sent back instead of a code.
fn upstream_error(code: &str) -> UpstreamError {
    match code {
        "access_denied" => UpstreamError::Cancelled,
        "temporarily_unavailable" | "server_error" => {
            UpstreamError::Unavailable(format!("the upstream answered {code}"))
        }
        // The upstream's own words are not repeated: they are its to choose.
        other => UpstreamError::Refused(other.chars().take(64).collect()),
    }
}

async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    upstream: &Arc<dyn Upstream>,
    profile: UpstreamProfile,
    target: SignInFor,
) -> Result<HttpResponse, Failure> {
    let parts = SessionParts::new(req, state, upstream.as_ref(), &profile);

    let (name, policy, now) = (
        upstream.name().to_owned(),
        *upstream.policy(),
        state.clock.now(),
    );
    let (new, found, username) = state
        .db
        .run(move |conn| {
            conn.transaction::<_, LinkingError, _>(|conn| {
                let (user, found) = linking::resolve(conn, &name, &policy, &profile, now)?;
                let new = parts.start(&user.id);
                Session::insert(conn, &new.session)?;
                Ok((new, found, user.username))
            })
        })
        .await?;

    audit_sign_in(req, state, upstream.name(), found, &username).await;
    Ok(login::finish_sign_in(req, state, target, new).await)
}

/// A user made just in time is the upstream's doing; the sign-in is the
/// person's, with the upstream and how the user was found in the detail.
async fn audit_sign_in(
    req: &HttpRequest,
    state: &AppState,
    upstream: &str,
    found: linking::Found,
    username: &str,
) {
    let (now, address) = (state.clock.now(), login::peer_address(req));
    if found == linking::Found::Created {
        let actor = Actor::upstream(upstream, address.clone());
        let (action, detail) = (Action::UserCreated, json!({ "upstream": upstream }));
        audit::record(&state.db, now, &actor, action, Some(username), detail).await;
    }

    let actor = Actor::user(username, address);
    let detail = json!({ "upstream": upstream, "found": format!("{found:?}") });
    let action = Action::SignInSucceeded;
    audit::record(&state.db, now, &actor, action, Some(username), detail).await;
}

/// What a federated session is made of before the user is known: `amr`
/// records the federation, `idp` the upstream.
struct SessionParts {
    amr: Vec<String>,
    device: session::Device,
    now: i64,
    auth_time: i64,
    lifetime_secs: i64,
    idp: String,
    sealed_id_token: Option<String>,
}

impl SessionParts {
    fn new(
        req: &HttpRequest,
        state: &AppState,
        upstream: &dyn Upstream,
        profile: &UpstreamProfile,
    ) -> SessionParts {
        let mut amr = vec![FEDERATED_AMR.to_owned()];
        amr.extend(profile.amr.iter().filter(|v| *v != FEDERATED_AMR).cloned());
        // Kept only to name the session to the upstream's end-session endpoint.
        let sealed_id_token = match upstream.policy().end_upstream_session {
            true => profile.id_token.as_ref().map(|token| {
                let kid = super::logout::id_token_kid(upstream.name());
                state.upstreams.sealer().seal(&kid, token.as_bytes())
            }),
            false => None,
        };
        let now = state.clock.now();
        SessionParts {
            amr,
            device: login::device(req),
            now,
            // The upstream's own time of authentication when it says, so
            // `max_age` is judged by when the person last proved who they
            // are; never later than now.
            auth_time: profile.auth_time.map_or(now, |time| time.min(now)),
            lifetime_secs: state.settings.sessions.absolute_lifetime_secs,
            idp: upstream.name().to_owned(),
            sealed_id_token,
        }
    }

    fn start(self, user_id: &str) -> NewSession {
        let amr: Vec<&str> = self.amr.iter().map(String::as_str).collect();
        let mut new = session::start(user_id, &amr, self.device, self.now, self.lifetime_secs);
        new.session.auth_time = self.auth_time;
        new.session.idp = Some(self.idp);
        new.session.upstream_id_token = self.sealed_id_token;
        new
    }
}

/// Adds the upstream account to the signed-in person who asked for it.
async fn link(
    req: &HttpRequest,
    state: &AppState,
    upstream: &Arc<dyn Upstream>,
    profile: UpstreamProfile,
    user_id: &str,
) -> Result<HttpResponse, Failure> {
    let current = signed_in(req, state)
        .await
        .map_err(|e| Failure::Linking(e.into()))?;
    if current.is_none_or(|session| session.user_id != user_id) {
        return Err(Failure::UnknownAttempt);
    }

    let (name, owner, now) = (
        upstream.name().to_owned(),
        user_id.to_owned(),
        state.clock.now(),
    );
    let username = state
        .db
        .run(move |conn| {
            linking::link(conn, &owner, &name, &profile, now)?;
            Ok::<_, LinkingError>(User::find(conn, &owner)?.username)
        })
        .await?;

    let actor = Actor::user(&username, login::peer_address(req));
    let detail = json!({ "upstream": upstream.name() });
    let action = Action::UserIdentityLinked;
    audit::record(&state.db, now, &actor, action, Some(&username), detail).await;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/account"))
        .finish())
}

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        Failure::Linking(error.into())
    }
}
