//! Federation: signing people in through upstream identity providers.
//!
//! Every upstream sits behind the [`Upstream`] trait: it builds the URL the
//! person is sent to and turns the code that comes back into a verified
//! [`UpstreamProfile`]. [`oidc`] covers OpenID Connect issuers and Google,
//! [`facebook`] Facebook's OAuth 2.0 and Graph API. What a profile means for
//! local accounts is decided in [`linking`]; the state an attempt carries
//! through the person's browser is in [`attempt`]. No actix types here: the
//! handlers are in `routes::upstream`.

pub mod attempt;
mod discovery;
pub mod facebook;
pub mod linking;
pub mod oidc;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::clock::SharedClock;
use crate::config::{Settings, UpstreamKind, UpstreamSettings};
use crate::keys::Sealer;
use crate::oidc::error::ErrorCode;
use crate::secret::ServerSecret;

/// What an upstream's asynchronous steps return.
pub type UpstreamFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, UpstreamError>> + Send + 'a>>;

/// An identity provider people may sign in through.
pub trait Upstream: Send + Sync {
    /// Its name in the configuration, in its URLs and in `idp`.
    fn name(&self) -> &str;

    /// The text of its button.
    fn label(&self) -> &str;

    fn policy(&self) -> &Policy;

    /// The issuer identifier an authorization response's `iss` must equal
    /// (RFC 9207), when the upstream has one.
    fn issuer(&self) -> Option<&str>;

    /// Where to send the person to sign in, bound to this attempt's secrets.
    fn authorization_url<'a>(
        &'a self,
        secrets: &'a AttemptSecrets,
        redirect_uri: &'a str,
        hints: &'a SignInHints,
    ) -> UpstreamFuture<'a, Url>;

    /// Redeems the code the person came back with and verifies everything
    /// the upstream says about them.
    fn identify<'a>(
        &'a self,
        secrets: &'a AttemptSecrets,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> UpstreamFuture<'a, UpstreamProfile>;

    /// Where to send the person to end their session upstream; `None` when
    /// the upstream has no such endpoint or the operator did not enable it.
    fn end_session_url<'a>(
        &'a self,
        id_token_hint: Option<&'a str>,
        post_logout_redirect_uri: &'a str,
        state: &'a str,
    ) -> UpstreamFuture<'a, Option<Url>>;
}

/// What the operator decided about an upstream's accounts.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub trust_email: bool,
    pub create_users: bool,
    pub end_upstream_session: bool,
}

impl Policy {
    fn from_settings(settings: &UpstreamSettings) -> Policy {
        Policy {
            trust_email: settings.trust_email,
            create_users: settings.create_users,
            end_upstream_session: settings.end_upstream_session,
        }
    }
}

/// What the waiting authorization request asks of the sign-in, passed on so
/// the upstream does not answer from a session the client would refuse.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInHints {
    /// `prompt=login`: the person must authenticate again, there too.
    pub fresh_login: bool,
    /// `max_age`: the upstream's authentication must be this recent.
    pub max_age: Option<i64>,
}

/// The per-attempt secrets: `state` and `nonce` sent to the upstream, and
/// the PKCE verifier whose challenge is sent.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct AttemptSecrets {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl AttemptSecrets {
    /// Fresh random values, 256 bits each (RFC 7636 section 4.1 wants 43 to
    /// 128 characters for the verifier; 32 bytes in base64url are 43).
    pub fn generate() -> AttemptSecrets {
        AttemptSecrets {
            state: crate::secret::random_token(32),
            nonce: crate::secret::random_token(32),
            pkce_verifier: crate::secret::random_token(32),
        }
    }
}

impl std::fmt::Debug for AttemptSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttemptSecrets([redacted])")
    }
}

/// Who the upstream says the person is, once verified.
#[derive(Clone, Default)]
pub struct UpstreamProfile {
    pub subject: String,
    pub email: Option<String>,
    /// Whether the upstream says it verified `email`.
    pub email_verified: bool,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    /// The upstream's `amr` values that RFC 8176 registers.
    pub amr: Vec<String>,
    /// When the person authenticated at the upstream, if it says.
    pub auth_time: Option<i64>,
    /// The upstream's ID token, kept only to end the session upstream.
    pub id_token: Option<String>,
}

impl std::fmt::Debug for UpstreamProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProfile")
            .field("amr", &self.amr)
            .finish_non_exhaustive()
    }
}

/// Why signing in through an upstream failed. The messages go to the log
/// and never carry a token, a code or an address.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The person cancelled at the upstream (`error=access_denied`).
    #[error("the person cancelled at the upstream")]
    Cancelled,
    /// The upstream answered with an OAuth error.
    #[error("the upstream refused: {0}")]
    Refused(String),
    /// The upstream could not be reached, timed out or failed (5xx).
    #[error("the upstream is unavailable: {0}")]
    Unavailable(String),
    /// The upstream's ID token failed verification.
    #[error("the upstream's ID token is not valid: {0}")]
    InvalidIdToken(String),
    /// The ID token is not signed by a key of the upstream's JWKS.
    #[error("the upstream's ID token signature does not verify: {0}")]
    InvalidSignature(String),
    /// The authorization response names another issuer than the one the
    /// request went to: a mix-up attack, or a misconfiguration (RFC 9207).
    #[error("the authorization response came from another issuer")]
    WrongIssuer,
    /// The upstream answered something that does not parse or lacks what
    /// it must carry.
    #[error("the upstream's answer is malformed: {0}")]
    InvalidResponse(String),
    /// `google` with `hosted_domain`: the account is of another domain.
    #[error("the account is not of the allowed hosted domain")]
    WrongHostedDomain,
}

impl UpstreamError {
    /// The error the waiting relying party gets.
    pub fn oauth_code(&self) -> ErrorCode {
        match self {
            UpstreamError::Unavailable(_) => ErrorCode::TemporarilyUnavailable,
            _ => ErrorCode::AccessDenied,
        }
    }
}

/// Maps an HTTP client failure: anything at the transport is the upstream
/// being unavailable.
/// A client for each configured upstream, all over `http`.
fn build_each(
    settings: &Settings,
    http: &reqwest::Client,
    clock: &SharedClock,
) -> anyhow::Result<BTreeMap<String, Arc<dyn Upstream>>> {
    let mut by_name: BTreeMap<String, Arc<dyn Upstream>> = BTreeMap::new();
    for (name, upstream) in &settings.upstreams {
        let secret = upstream.resolve_client_secret(name)?;
        let built: Arc<dyn Upstream> = match upstream.kind {
            Some(UpstreamKind::Facebook) => Arc::new(facebook::FacebookUpstream::new(
                name,
                upstream,
                secret,
                http.clone(),
            )?),
            _ => Arc::new(oidc::OidcUpstream::new(
                name,
                upstream,
                secret,
                http.clone(),
                clock.clone(),
                Duration::from_secs(settings.federation.metadata_cache_secs),
            )?),
        };
        by_name.insert(name.clone(), built);
    }
    Ok(by_name)
}

/// The one HTTP client every upstream shares.
fn http_client(settings: &Settings) -> anyhow::Result<reqwest::Client> {
    use anyhow::Context;

    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(settings.federation.timeout_secs))
        .connect_timeout(Duration::from_secs(
            settings.federation.connect_timeout_secs,
        ))
        .build()
        .context("cannot build the HTTP client for upstreams")
}

pub(crate) fn unavailable(error: impl std::fmt::Display) -> UpstreamError {
    UpstreamError::Unavailable(error.to_string())
}

/// Every configured upstream, and what they share.
pub struct Upstreams {
    by_name: BTreeMap<String, Arc<dyn Upstream>>,
    sealer: Sealer,
    attempt_lifetime_secs: i64,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Upstreams {
    /// Builds one client per configured upstream over one HTTP client, with
    /// redirects off (OAuth 2.0 token requests must not follow them) and
    /// time-outs on, so a slow upstream fails a sign-in instead of hanging it.
    pub fn from_settings(
        settings: &Settings,
        secret: &ServerSecret,
        clock: SharedClock,
    ) -> anyhow::Result<Upstreams> {
        let by_name = match settings.upstreams.is_empty() {
            // No HTTP client for nobody to call: its TLS stack would stay
            // resident from the start.
            true => BTreeMap::new(),
            false => build_each(settings, &http_client(settings)?, &clock)?,
        };
        Ok(Upstreams {
            by_name,
            sealer: Sealer::for_upstreams(secret),
            attempt_lifetime_secs: settings.federation.attempt_lifetime_secs,
        })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Upstream>> {
        self.by_name.get(name)
    }

    /// Every upstream, by name.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Upstream>> {
        self.by_name.values()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    pub fn attempt_lifetime_secs(&self) -> i64 {
        self.attempt_lifetime_secs
    }
}

/// The redirect URI registered at every upstream for `name`.
pub fn callback_uri(issuer: &str, name: &str) -> String {
    format!("{issuer}/upstream/{name}/callback")
}

/// Where an upstream's end-session endpoint sends the person back.
pub fn signed_out_uri(issuer: &str, name: &str) -> String {
    format!("{issuer}/upstream/{name}/signed-out")
}

/// The `amr` values RFC 8176 section 2 registers; others an upstream sends
/// are dropped rather than passed on with a meaning we cannot vouch for.
const REGISTERED_AMR: &[&str] = &[
    "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pwd", "rba", "retina",
    "sc", "sms", "swk", "tel", "user", "vbm", "wia",
];

/// Keeps the registered values of an upstream's `amr`.
pub fn registered_amr<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values
        .into_iter()
        .filter(|v| REGISTERED_AMR.contains(v))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_amr_values_are_kept() {
        assert_eq!(registered_amr(["pwd", "x-custom", "mfa"]), ["pwd", "mfa"]);
    }

    #[test]
    fn an_unreachable_upstream_is_temporarily_unavailable_and_others_are_denied() {
        assert_eq!(
            unavailable("connection refused").oauth_code(),
            ErrorCode::TemporarilyUnavailable
        );
        assert_eq!(
            UpstreamError::InvalidIdToken("expired".into()).oauth_code(),
            ErrorCode::AccessDenied
        );
    }
}
