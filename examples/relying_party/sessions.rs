//! The relying party's own sessions, in memory and keyed by a random cookie:
//! a sign-in in progress, the signed-in person, and the `state` of a logout
//! sent to Porteiro. Nothing survives a restart, which suits an example.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::oidc::{PendingLogin, SignedIn};

/// How long a sign-in may take before its secrets are dropped.
const PENDING_LIFETIME: Duration = Duration::from_secs(600);

/// Everything kept for one browser.
#[derive(Default)]
pub struct Browser {
    pub pending_login: Option<PendingLogin>,
    pub signed_in: Option<SignedIn>,
    pub logout_state: Option<String>,
}

#[derive(Default)]
pub struct Sessions {
    browsers: Mutex<HashMap<String, Browser>>,
}

impl Sessions {
    /// Remembers a sign-in started by the browser with `cookie`.
    pub fn start_login(&self, cookie: &str, pending: PendingLogin) {
        let mut browsers = self.lock();
        // Browsers that started a sign-in and never came back would
        // otherwise pile up for as long as the process runs.
        browsers.retain(|_, b| b.signed_in.is_some() || !is_stale(b.pending_login.as_ref()));
        browsers.entry(cookie.to_owned()).or_default().pending_login = Some(pending);
    }

    /// Takes the sign-in in progress, so a callback can be used only once.
    pub fn take_pending_login(&self, cookie: &str) -> Option<PendingLogin> {
        let pending = self.lock().get_mut(cookie)?.pending_login.take()?;
        (!is_stale(Some(&pending))).then_some(pending)
    }

    /// Signs the browser in under a new cookie value, forgetting the old one.
    pub fn sign_in(&self, previous_cookie: &str, cookie: &str, signed_in: SignedIn) {
        let mut browsers = self.lock();
        browsers.remove(previous_cookie);
        browsers.entry(cookie.to_owned()).or_default().signed_in = Some(signed_in);
    }

    /// A copy of what the browser's session shows, if it is signed in.
    pub fn signed_in(&self, cookie: &str) -> Option<SignedIn> {
        self.lock().get(cookie)?.signed_in.clone()
    }

    /// Ends the local session and remembers the `state` sent to Porteiro
    /// with the logout, so its redirect back can be recognised.
    pub fn sign_out(&self, cookie: &str, logout_state: String) -> Option<SignedIn> {
        let mut browsers = self.lock();
        let browser = browsers.get_mut(cookie)?;
        let signed_in = browser.signed_in.take()?;
        browser.logout_state = Some(logout_state);
        Some(signed_in)
    }

    /// True once for the `state` Porteiro sends back after a logout.
    pub fn take_logout_state(&self, cookie: &str, state: &str) -> bool {
        let mut browsers = self.lock();
        let Some(browser) = browsers.get_mut(cookie) else {
            return false;
        };
        if browser.logout_state.as_deref() != Some(state) {
            return false;
        }
        browser.logout_state = None;
        true
    }

    /// Ends every session of the SSO session `sid`, or of the subject `sub`
    /// when the logout token names no `sid`; returns the subjects signed out.
    pub fn end_sso_session(&self, sid: Option<&str>, sub: Option<&str>) -> Vec<String> {
        let mut ended = Vec::new();
        for browser in self.lock().values_mut() {
            let Some(signed_in) = &browser.signed_in else {
                continue;
            };
            let matches = match (sid, sub) {
                (Some(sid), _) => signed_in.profile.sid.as_deref() == Some(sid),
                (None, Some(sub)) => signed_in.profile.sub == sub,
                (None, None) => false,
            };
            if matches {
                ended.push(signed_in.profile.sub.clone());
                browser.signed_in = None;
            }
        }
        ended
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Browser>> {
        // A panic while holding the lock leaves plain maps behind, still usable.
        self.browsers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_stale(pending: Option<&PendingLogin>) -> bool {
    pending.is_none_or(|p| p.started.elapsed() > PENDING_LIFETIME)
}
