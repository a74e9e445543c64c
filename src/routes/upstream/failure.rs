//! When signing in through an upstream fails: the one place that decides
//! what the person reads, with which status, and what the waiting relying
//! party is told. The pending authorization request is answered (taken), so
//! nothing is left half-made; the page's button carries the error to the
//! client (`access_denied` or `temporarily_unavailable`, with `state` and
//! `iss` as every authorization response).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::super::oidc::authorize::load_client;
use super::super::pages;
use crate::audit::{self, Action, Actor};
use crate::i18n::Catalog;
use crate::oidc::authorize::ResponseMode;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::pending;
use crate::routes::login::peer_address;
use crate::startup::AppState;
use crate::upstream::attempt::Purpose;
use crate::upstream::linking::LinkingError;
use crate::upstream::{Upstream, UpstreamError};

#[derive(Debug, thiserror::Error)]
pub(super) enum Failure {
    #[error("no live attempt cookie")]
    UnknownAttempt,
    #[error("the callback's state is not the attempt's")]
    StateMismatch,
    #[error("the callback has neither a code nor an error")]
    MissingCode,
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Linking(#[from] LinkingError),
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Failure::UnknownAttempt | Failure::StateMismatch | Failure::MissingCode => {
                StatusCode::BAD_REQUEST
            }
            Failure::Upstream(UpstreamError::Cancelled | UpstreamError::Refused(_)) => {
                StatusCode::FORBIDDEN
            }
            Failure::Upstream(UpstreamError::WrongHostedDomain) => StatusCode::FORBIDDEN,
            Failure::Upstream(UpstreamError::WrongIssuer) => StatusCode::BAD_REQUEST,
            Failure::Upstream(_) => StatusCode::BAD_GATEWAY,
            Failure::Linking(LinkingError::Storage(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Failure::Linking(_) => StatusCode::FORBIDDEN,
        }
    }

    /// The catalogue key of what the person reads.
    fn message_key(&self) -> &'static str {
        match self {
            Failure::UnknownAttempt => "upstream.error.unknown_attempt",
            Failure::StateMismatch => "upstream.error.state",
            Failure::MissingCode => "upstream.error.invalid",
            Failure::Upstream(error) => match error {
                UpstreamError::Cancelled => "upstream.error.cancelled",
                UpstreamError::Refused(_) => "upstream.error.refused",
                UpstreamError::Unavailable(_) => "upstream.error.unavailable",
                UpstreamError::WrongHostedDomain => "upstream.error.hosted_domain",
                UpstreamError::InvalidIdToken(_)
                | UpstreamError::InvalidSignature(_)
                | UpstreamError::WrongIssuer
                | UpstreamError::InvalidResponse(_) => "upstream.error.invalid",
            },
            Failure::Linking(error) => match error {
                LinkingError::NoAccount => "upstream.error.no_account",
                LinkingError::Disabled => "upstream.error.disabled",
                LinkingError::LinkedToAnother => "upstream.error.linked_to_another",
                LinkingError::LastSignInMethod => "account.error.last_method",
                LinkingError::Storage(_) => "error.server",
            },
        }
    }

    /// What the relying party hears; the description says no more than
    /// which side failed.
    fn oauth_error(&self) -> OAuthError {
        match self {
            Failure::Upstream(error) if error.oauth_code() == ErrorCode::TemporarilyUnavailable => {
                OAuthError::new(
                    ErrorCode::TemporarilyUnavailable,
                    "the upstream identity provider is unavailable",
                )
            }
            Failure::Upstream(UpstreamError::Cancelled) => OAuthError::new(
                ErrorCode::AccessDenied,
                "the person cancelled at the upstream identity provider",
            ),
            Failure::Linking(LinkingError::Storage(_)) => OAuthError::new(
                ErrorCode::ServerError,
                "the server failed to finish the sign-in",
            ),
            _ => OAuthError::new(
                ErrorCode::AccessDenied,
                "the sign-in at the upstream identity provider failed",
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "upstream/failed.html")]
struct FailedPage<'a> {
    t: &'a Catalog,
    message: String,
    back: Option<Back>,
    request_id: Option<&'a str>,
}

/// The page's way onwards.
struct Back {
    label: String,
    /// For a link (query responses and the account page).
    href: Option<String>,
    /// For `response_mode=form_post`: where to post and what.
    form_action: Option<String>,
    fields: Vec<(&'static str, String)>,
}

/// The failure page, after answering the pending request if one waits. A
/// failed sign-in (not a failed link, whose person is signed in already) is
/// written to the audit log as well.
pub(super) async fn respond(
    req: &HttpRequest,
    state: &AppState,
    upstream: &dyn Upstream,
    purpose: Option<&Purpose>,
    failure: Failure,
) -> HttpResponse {
    match &failure {
        Failure::Linking(LinkingError::Storage(e)) => {
            tracing::error!(error = %e, "an upstream sign-in failed to be stored")
        }
        other => tracing::warn!(failure = %other, "sign-in through an upstream failed"),
    }
    if !matches!(purpose, Some(Purpose::Link { .. })) {
        audit_failure(req, state, upstream.name(), &failure).await;
    }
    let upstream_label = upstream.label();
    let pending = match purpose.and_then(Purpose::pending_request) {
        Some(id) => answer_pending(state, id).await,
        None => None,
    };
    let ui_locales = pending.as_ref().and_then(|p| p.ui_locales.clone());
    let t = pages::catalog_for(req, ui_locales.as_deref());

    let back = match (pending, purpose) {
        (Some(waiting), _) => Some(back_to_client(t, &state.settings.issuer, waiting, &failure)),
        (None, Some(_)) => Some(Back {
            label: t.text("upstream.to_account").to_owned(),
            href: Some("/account".to_owned()),
            form_action: None,
            fields: Vec::new(),
        }),
        (None, None) => None,
    };
    let request_id = pages::request_id(req);
    let page = FailedPage {
        t,
        message: t.format(failure.message_key(), &[("upstream", upstream_label)]),
        back,
        request_id: request_id.as_deref(),
    };
    pages::render(failure.status(), &page)
}

/// A failed sign-in through `upstream`. Nobody is signed in yet, and the
/// reason is the catalogue key's last part: the upstream's own error text
/// is its to choose and stays out of the audit table.
async fn audit_failure(req: &HttpRequest, state: &AppState, upstream: &str, failure: &Failure) {
    let reason = failure.message_key().rsplit('.').next().unwrap_or_default();
    let actor = Actor::anonymous(peer_address(req));
    let detail = serde_json::json!({ "upstream": upstream, "reason": reason });
    let (now, action) = (state.clock.now(), Action::SignInFailed);
    audit::record(&state.db, now, &actor, action, None, detail).await;
}

/// What the waiting client needs to be answered.
struct Waiting {
    client_name: String,
    redirect_uri: String,
    response_mode: ResponseMode,
    state: Option<String>,
    ui_locales: Option<String>,
}

/// Takes the pending request with this id, if still live, so it cannot be
/// finished after its client was told it failed.
async fn answer_pending(state: &AppState, id: &str) -> Option<Waiting> {
    let (_, request) = super::pending_request(state, Some(id)).await?;
    if !matches!(pending::take(&state.db, id).await, Ok(true)) {
        return None;
    }
    let client_name = match load_client(state, Some(&request.client_id)).await {
        Ok(Some(client)) => client.name,
        _ => request.client_id.clone(),
    };
    Some(Waiting {
        client_name,
        redirect_uri: request.redirect_uri,
        response_mode: request.response_mode,
        state: request.state,
        ui_locales: request.ui_locales,
    })
}

fn back_to_client(t: &Catalog, issuer: &str, waiting: Waiting, failure: &Failure) -> Back {
    let error = failure.oauth_error();
    let mut fields = vec![
        ("error", error.code.as_str().to_owned()),
        ("error_description", error.description),
    ];
    if let Some(state) = waiting.state {
        fields.push(("state", state));
    }
    fields.push(("iss", issuer.to_owned()));
    let label = t.format("upstream.return", &[("client", &waiting.client_name)]);

    match waiting.response_mode {
        ResponseMode::FormPost => Back {
            label,
            href: None,
            form_action: Some(waiting.redirect_uri),
            fields,
        },
        ResponseMode::Query => {
            // The redirect URI was matched against a registered one, so it parses.
            let href = url::Url::parse(&waiting.redirect_uri).ok().map(|mut url| {
                url.query_pairs_mut()
                    .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())));
                url.to_string()
            });
            Back {
                label,
                href,
                form_action: None,
                fields: Vec::new(),
            }
        }
    }
}
