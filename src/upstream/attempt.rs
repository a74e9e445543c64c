//! One sign-in attempt at an upstream, carried through the person's browser
//! in a cookie: AES-256-GCM under a key derived from the server secret, so
//! the browser can neither read nor change it, and any instance can open it.
//!
//! The cookie binds the callback to the browser that started: a callback
//! whose `state` is not the one sealed in this browser's cookie is refused
//! (RFC 9700 section 4.7, CSRF at the redirect URI).

use serde::{Deserialize, Serialize};

use super::AttemptSecrets;
use crate::keys::Sealer;

/// The cookie's name; `__Host-` whenever the issuer is HTTPS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-porteiro_upstream"
    } else {
        "porteiro_upstream"
    }
}

/// What the sign-in is for once the upstream vouches for the person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Purpose {
    /// Signing in, for the pending authorization request with this id, or
    /// for the account page when `None`.
    SignIn { request: Option<String> },
    /// Adding the upstream account to this signed-in user.
    Link { user_id: String },
}

impl Purpose {
    /// The pending authorization request waiting for the outcome, if any.
    pub fn pending_request(&self) -> Option<&str> {
        match self {
            Purpose::SignIn { request } => request.as_deref(),
            Purpose::Link { .. } => None,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub upstream: String,
    pub secrets: AttemptSecrets,
    pub purpose: Purpose,
    pub expires_at: i64,
}

/// Shows neither the secrets nor the pending request's id, which work as
/// bearer values.
impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let purpose = match self.purpose {
            Purpose::SignIn { .. } => "sign-in",
            Purpose::Link { .. } => "link",
        };
        f.debug_struct("Attempt")
            .field("upstream", &self.upstream)
            .field("purpose", &purpose)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why a cookie does not give an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    #[error("the attempt cookie does not open")]
    Damaged,
    #[error("the attempt expired")]
    Expired,
    #[error("the attempt is for another upstream")]
    OtherUpstream,
}

impl Attempt {
    /// The cookie value.
    pub fn seal(&self, sealer: &Sealer) -> String {
        // Serializing owned strings to JSON cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        sealer.seal(&aad(&self.upstream), &json)
    }

    /// Opens the cookie of an attempt at `upstream` that is still live.
    pub fn open(
        sealer: &Sealer,
        upstream: &str,
        sealed: &str,
        now: i64,
    ) -> Result<Attempt, AttemptError> {
        let opened = sealer
            .open(&aad(upstream), sealer.key_id(), sealed)
            .map_err(|_| AttemptError::Damaged)?;
        let attempt: Attempt =
            serde_json::from_slice(&opened).map_err(|_| AttemptError::Damaged)?;
        if attempt.upstream != upstream {
            return Err(AttemptError::OtherUpstream);
        }
        if attempt.expires_at <= now {
            return Err(AttemptError::Expired);
        }
        Ok(attempt)
    }
}

/// Sealing binds the value to its upstream, so a cookie made for one cannot
/// be replayed at another's callback.
fn aad(upstream: &str) -> String {
    format!("upstream-attempt/{upstream}")
}

/// Compares two `state` values in constant time.
pub fn same_state(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::secret::ServerSecret;

    fn sealer() -> Sealer {
        let secret = "a-secret-that-is-long-enough-for-the-test";
        Sealer::for_upstreams(&ServerSecret::new(SecretString::from(secret.to_owned())))
    }

    fn attempt(expires_at: i64) -> Attempt {
        Attempt {
            upstream: "corp".into(),
            secrets: AttemptSecrets::generate(),
            purpose: Purpose::SignIn {
                request: Some("req".into()),
            },
            expires_at,
        }
    }

    #[test]
    fn a_sealed_attempt_opens_until_it_expires() {
        let sealed = attempt(100).seal(&sealer());

        let opened = Attempt::open(&sealer(), "corp", &sealed, 99).unwrap();
        assert_eq!(opened.purpose.pending_request(), Some("req"));
        let late = Attempt::open(&sealer(), "corp", &sealed, 100);
        assert_eq!(late.unwrap_err(), AttemptError::Expired);
    }

    #[test]
    fn an_attempt_does_not_open_at_another_upstream_or_when_changed() {
        let sealed = attempt(100).seal(&sealer());

        let other = Attempt::open(&sealer(), "google", &sealed, 1);
        assert_eq!(other.unwrap_err(), AttemptError::Damaged);
        let mut changed = sealed.into_bytes();
        changed[20] ^= 1;
        let changed = String::from_utf8_lossy(&changed).into_owned();
        assert!(Attempt::open(&sealer(), "corp", &changed, 1).is_err());
    }

    #[test]
    fn state_comparison_needs_the_exact_value() {
        assert!(same_state("abc", "abc"));
        assert!(!same_state("abc", "abd"));
        assert!(!same_state("abc", "ab"));
    }
}
