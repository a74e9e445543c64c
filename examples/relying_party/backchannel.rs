//! Checks the logout tokens Porteiro POSTs to `/backchannel-logout`
//! (Back-Channel Logout 1.0 section 2.6) with josekit, against the keys of
//! Porteiro's JWKS.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use josekit::JoseHeader;
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};
use josekit::jwt::JwtPayload;

/// The member of `events` that makes a JWT a logout token (section 2.4).
const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The asymmetric algorithms Porteiro signs with.
const ACCEPTED_ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];
/// Clocks of Porteiro and of this app may disagree by this much.
const CLOCK_SKEW: Duration = Duration::from_secs(60);
/// The JWKS is fetched again at most this often, so tokens with made-up
/// `kid`s cannot turn this app into a flood of requests to Porteiro.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// Whom a valid logout token signs out.
#[derive(Debug)]
pub struct LogoutSubject {
    pub sid: Option<String>,
    pub sub: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogoutTokenError {
    #[error("the logout token is not a signed JWT")]
    Malformed,
    #[error("the typ header is not logout+jwt")]
    WrongType,
    #[error("the token is signed with an algorithm we do not accept")]
    UnsupportedAlg,
    #[error("no key in the provider's JWKS has the token's kid")]
    UnknownKey,
    #[error("the key does not match the token's alg")]
    KeyMismatch,
    #[error("the provider's JWKS could not be fetched")]
    Jwks,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the {0} claim is missing or wrong")]
    BadClaim(&'static str),
    #[error("a logout token must not carry a nonce")]
    Nonce,
    #[error("the token names neither sid nor sub")]
    NoSubject,
}

pub struct LogoutTokenVerifier {
    issuer: String,
    client_id: String,
    jwks_uri: String,
    http: reqwest::Client,
    jwks: Mutex<CachedJwks>,
}

struct CachedJwks {
    keys: Arc<JwkSet>,
    fetched_at: Option<Instant>,
}

impl LogoutTokenVerifier {
    pub fn new(issuer: &str, client_id: &str, jwks_uri: &str, http: reqwest::Client) -> Self {
        LogoutTokenVerifier {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            jwks_uri: jwks_uri.to_owned(),
            http,
            jwks: Mutex::new(CachedJwks {
                keys: Arc::new(JwkSet::new()),
                fetched_at: None,
            }),
        }
    }

    /// Verifies `token` and says whom it signs out.
    ///
    /// A replayed token is not refused: signing out an SSO session that has
    /// ended already changes nothing, and Porteiro may resend a token whose
    /// first delivery it did not see answered.
    pub async fn verify(&self, token: &str) -> Result<LogoutSubject, LogoutTokenError> {
        let header = josekit::jwt::decode_header(token).map_err(|_| LogoutTokenError::Malformed)?;
        check_type(header.as_ref())?;
        let alg = header_str(header.as_ref(), "alg").ok_or(LogoutTokenError::Malformed)?;
        // Checked before any key is looked up, so `none` or HS256 never
        // reach a verifier (RFC 8725 section 3.1).
        if !ACCEPTED_ALGS.contains(&alg) {
            return Err(LogoutTokenError::UnsupportedAlg);
        }
        let kid = header_str(header.as_ref(), "kid").ok_or(LogoutTokenError::UnknownKey)?;

        let jwk = self.key(kid).await?;
        let verifier = verifier_for(alg, &jwk)?;
        let (payload, _) = josekit::jwt::decode_with_verifier(token, verifier.as_ref())
            .map_err(|_| LogoutTokenError::BadSignature)?;

        self.check_claims(&payload)?;
        subject(&payload)
    }

    /// The JWK with `kid`, fetching the JWKS again when it is not known: it
    /// may belong to a key Porteiro published since the last fetch.
    async fn key(&self, kid: &str) -> Result<Jwk, LogoutTokenError> {
        let (cached, may_refetch) = self.cached_jwks();
        if let Some(jwk) = find_key(&cached, kid) {
            return Ok(jwk);
        }
        if !may_refetch {
            return Err(LogoutTokenError::UnknownKey);
        }

        let fresh = Arc::new(self.fetch_jwks().await?);
        *self.jwks.lock().unwrap_or_else(PoisonError::into_inner) = CachedJwks {
            keys: fresh.clone(),
            fetched_at: Some(Instant::now()),
        };
        find_key(&fresh, kid).ok_or(LogoutTokenError::UnknownKey)
    }

    /// The keys fetched last, and whether it is time to fetch them again.
    fn cached_jwks(&self) -> (Arc<JwkSet>, bool) {
        let cached = self.jwks.lock().unwrap_or_else(PoisonError::into_inner);
        let may_refetch = cached
            .fetched_at
            .is_none_or(|at| at.elapsed() >= JWKS_REFETCH_INTERVAL);
        (cached.keys.clone(), may_refetch)
    }

    async fn fetch_jwks(&self) -> Result<JwkSet, LogoutTokenError> {
        let body = match self.download_jwks().await {
            Ok(body) => body,
            Err(error) => {
                tracing::warn!(%error, "cannot fetch the provider's JWKS");
                return Err(LogoutTokenError::Jwks);
            }
        };
        JwkSet::from_bytes(&body).map_err(|_| LogoutTokenError::Jwks)
    }

    async fn download_jwks(&self) -> reqwest::Result<String> {
        let response = self.http.get(&self.jwks_uri).send().await?;
        response.error_for_status()?.text().await
    }

    /// `iss`, `aud`, `iat`, `exp`, `events` and no `nonce` (section 2.6).
    fn check_claims(&self, payload: &JwtPayload) -> Result<(), LogoutTokenError> {
        if payload.issuer() != Some(self.issuer.as_str()) {
            return Err(LogoutTokenError::BadClaim("iss"));
        }
        let audience = payload.audience().unwrap_or_default();
        if !audience.contains(&self.client_id.as_str()) {
            return Err(LogoutTokenError::BadClaim("aud"));
        }

        let now = SystemTime::now();
        let issued_at = payload
            .issued_at()
            .ok_or(LogoutTokenError::BadClaim("iat"))?;
        if issued_at > now + CLOCK_SKEW {
            return Err(LogoutTokenError::BadClaim("iat"));
        }
        let expires_at = payload
            .expires_at()
            .ok_or(LogoutTokenError::BadClaim("exp"))?;
        if expires_at + CLOCK_SKEW < now {
            return Err(LogoutTokenError::BadClaim("exp"));
        }

        let is_logout_event = payload
            .claim("events")
            .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
            .is_some_and(serde_json::Value::is_object);
        if !is_logout_event {
            return Err(LogoutTokenError::BadClaim("events"));
        }
        // A nonce would make the token pass for an ID token (section 2.4).
        if payload.claim("nonce").is_some() {
            return Err(LogoutTokenError::Nonce);
        }
        Ok(())
    }
}

/// `typ` must be `logout+jwt`, so an ID token cannot be replayed as a
/// logout token (section 2.4; RFC 8725 section 3.11). Media types compare
/// without regard to case, and the `application/` prefix may be omitted.
fn check_type(header: &dyn JoseHeader) -> Result<(), LogoutTokenError> {
    let typ = header_str(header, "typ")
        .unwrap_or_default()
        .to_ascii_lowercase();
    match typ.as_str() {
        "logout+jwt" | "application/logout+jwt" => Ok(()),
        _ => Err(LogoutTokenError::WrongType),
    }
}

fn header_str<'a>(header: &'a dyn JoseHeader, name: &str) -> Option<&'a str> {
    header.claim(name).and_then(serde_json::Value::as_str)
}

fn find_key(jwks: &JwkSet, kid: &str) -> Option<Jwk> {
    jwks.get(kid).first().map(|jwk| (*jwk).clone())
}

/// A verifier for the token's `alg`, only with a key published for it.
fn verifier_for(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, LogoutTokenError> {
    if jwk.algorithm().is_some_and(|key_alg| key_alg != alg) {
        return Err(LogoutTokenError::KeyMismatch);
    }
    let verifier: Result<Box<dyn JwsVerifier>, _> = match alg {
        "RS256" => RS256.verifier_from_jwk(jwk).map(|v| Box::new(v) as _),
        "PS256" => PS256.verifier_from_jwk(jwk).map(|v| Box::new(v) as _),
        "ES256" => ES256.verifier_from_jwk(jwk).map(|v| Box::new(v) as _),
        "EdDSA" => EdDSA.verifier_from_jwk(jwk).map(|v| Box::new(v) as _),
        _ => return Err(LogoutTokenError::UnsupportedAlg),
    };
    verifier.map_err(|_| LogoutTokenError::KeyMismatch)
}

fn subject(payload: &JwtPayload) -> Result<LogoutSubject, LogoutTokenError> {
    let sid = payload
        .claim("sid")
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    let sub = payload.subject().map(str::to_owned);
    if sid.is_none() && sub.is_none() {
        return Err(LogoutTokenError::NoSubject);
    }
    Ok(LogoutSubject { sid, sub })
}
