//! Checking a sign-in: the password, and the failure limits per account and
//! per client address.

use actix_web::HttpRequest;
use secrecy::SecretString;

use crate::domain::Username;
use crate::oidc::throttle::{self, ThrottleKey};
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::storage::models::user::User;

/// Verified in place of a missing user's hash, so an unknown username costs
/// the same time as a wrong password. Its password is unknown and unused.
const DUMMY_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$EqvZpQksBN7J8gynWuEfWQ$fgI9Sfo0jEdWHFJJdUVkr9lnvmNGu1VeouyFHMRu4xE";

/// The account and the client address, each counted separately. The peer
/// address is used, not forwarding headers a client could forge.
pub(super) fn throttle_keys(req: &HttpRequest, username: &str) -> Vec<ThrottleKey> {
    // PostgreSQL cannot store NUL, which no valid username has anyway.
    let account = Username::parse(username)
        .map(|u| u.key())
        .unwrap_or_else(|_| username.to_lowercase().replace('\0', "\u{fffd}"));
    let mut keys = vec![ThrottleKey::account(&account)];
    if let Some(peer) = req.peer_addr() {
        keys.push(ThrottleKey::address(&peer.ip().to_string()));
    }
    keys
}

pub(super) async fn locked_for(
    state: &AppState,
    keys: &[ThrottleKey],
) -> Result<Option<i64>, StorageError> {
    let (keys, now) = (keys.to_vec(), state.clock.now());
    state
        .db
        .run(move |conn| {
            let mut longest = None;
            for key in &keys {
                longest = longest.max(throttle::locked_for(conn, key, now)?);
            }
            Ok::<_, StorageError>(longest)
        })
        .await
}

/// Counts a failure against every key; returns whether one is locked now.
pub(super) async fn record_failure(
    state: &AppState,
    keys: Vec<ThrottleKey>,
) -> Result<bool, StorageError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let mut locked = false;
            for key in &keys {
                throttle::record_failure(conn, key, now)?;
                locked |= throttle::locked_for(conn, key, now)?.is_some();
            }
            Ok(locked)
        })
        .await
}

/// The user when `password` is theirs and they may sign in. Unknown users
/// verify against a dummy hash, so every failure takes the same time.
pub(super) async fn check_password(
    state: &AppState,
    username: &str,
    password: SecretString,
) -> Result<Option<User>, Box<dyn std::error::Error + Send + Sync>> {
    let user = match Username::parse(username) {
        Ok(name) => {
            let key = name.key();
            match state
                .db
                .run(move |conn| User::find_by_username_key(conn, &key))
                .await
            {
                Ok(user) => Some(user),
                Err(StorageError::NotFound) => None,
                Err(other) => return Err(other.into()),
            }
        }
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_PASSWORD_HASH.to_owned());

    let matches = state.passwords.verify(password, hash).await?;
    Ok(user.filter(|u| matches && !u.disabled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::password::{Workspace, hash_now};

    /// `$argon2id$v=19$m=19456,t=2,p=1$`: what a hash costs to check.
    fn cost(phc: &str) -> String {
        phc.split('$').take(4).collect::<Vec<_>>().join("$")
    }

    #[test]
    fn the_dummy_hash_costs_what_a_stored_one_does_and_matches_nothing() {
        let password = SecretString::from("a long test password".to_owned());
        let stored = hash_now(&password).unwrap();

        assert_eq!(cost(DUMMY_PASSWORD_HASH), cost(&stored));
        let checked = Workspace::default().verify(&password, DUMMY_PASSWORD_HASH);
        assert!(matches!(checked, Ok(false)), "{checked:?}");
    }
}
