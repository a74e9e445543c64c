//! CSRF protection for the sign-in and consent forms: a random value in a
//! cookie, and in the form a MAC of that value and the pending request. A
//! third-party site can make the browser post a form, but can neither read
//! nor set the cookie, so it cannot produce a matching token.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secret::{KeyPurpose, ServerSecret, random_token};

#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey")
    }
}

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-porteiro_csrf"
    } else {
        "porteiro_csrf"
    }
}

impl CsrfKey {
    pub fn new(secret: &ServerSecret) -> CsrfKey {
        CsrfKey(*secret.derive(KeyPurpose::Csrf).expose())
    }

    /// The form token for `request`, and the cookie to set when the browser
    /// has none yet.
    pub fn issue(
        &self,
        req: &HttpRequest,
        request: &str,
        secure: bool,
    ) -> (String, Option<Cookie<'static>>) {
        if let Some(existing) = req.cookie(cookie_name(secure)) {
            return (self.token(existing.value(), request), None);
        }
        let value = random_token(32);
        let token = self.token(&value, request);
        let cookie = Cookie::build(cookie_name(secure), value)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish();
        (token, Some(cookie))
    }

    /// Whether the posted `token` matches the browser's cookie and `request`.
    pub fn verify(&self, req: &HttpRequest, request: &str, token: &str, secure: bool) -> bool {
        let Some(cookie) = req.cookie(cookie_name(secure)) else {
            return false;
        };
        let expected = self.token(cookie.value(), request);
        expected.as_bytes().ct_eq(token.as_bytes()).into()
    }

    fn token(&self, cookie_value: &str, request: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(cookie_value.as_bytes());
        mac.update(b"|");
        mac.update(request.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}
