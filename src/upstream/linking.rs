//! What an upstream account means locally: the user it is linked to, an
//! existing user it may be linked to by a verified e-mail address, or a user
//! created for it just in time. The rules, in order:
//!
//! 1. An (upstream, subject) seen before is the user it was linked to.
//! 2. Otherwise, if the operator trusts the upstream for e-mail and the
//!    upstream says the address is verified, the one local user with that
//!    address gets the identity. An unverified address never links: anyone
//!    can type someone else's address at an upstream that does not check.
//! 3. Otherwise a new user is created, unless the operator turned that off.
//!
//! The functions run on one connection inside the caller's transaction, so a
//! sign-in that fails later leaves no user or identity behind.

use diesel::Connection;

use super::{Policy, UpstreamProfile};
use crate::domain::Username;
use crate::storage::models::upstream_identity::UpstreamIdentity;
use crate::storage::models::user::User;
use crate::storage::{DbConnection, StorageError};

/// How the user was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Known,
    LinkedByEmail,
    Created,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkingError {
    #[error("no local user has this upstream account, and creating users is off")]
    NoAccount,
    #[error("the local user is disabled")]
    Disabled,
    #[error("this upstream account is linked to another user")]
    LinkedToAnother,
    #[error("the upstream account is the user's last way to sign in")]
    LastSignInMethod,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for LinkingError {
    fn from(error: diesel::result::Error) -> Self {
        LinkingError::Storage(error.into())
    }
}

/// The local user for `profile` from `upstream`, per the rules above.
pub fn resolve(
    conn: &mut DbConnection,
    upstream: &str,
    policy: &Policy,
    profile: &UpstreamProfile,
    now: i64,
) -> Result<(User, Found), LinkingError> {
    if let Some(identity) = UpstreamIdentity::find(conn, upstream, &profile.subject)? {
        UpstreamIdentity::touch(conn, &identity.id, profile.email.as_deref(), now)?;
        let user = User::find(conn, &identity.user_id)?;
        return active(user, Found::Known);
    }

    if let Some(user) = user_by_verified_email(conn, policy, profile)? {
        insert_identity(conn, &user.id, upstream, profile, now)?;
        return active(user, Found::LinkedByEmail);
    }

    if !policy.create_users {
        return Err(LinkingError::NoAccount);
    }
    let user = create_user(conn, upstream, policy, profile, now)?;
    insert_identity(conn, &user.id, upstream, profile, now)?;
    Ok((user, Found::Created))
}

/// Links `profile` to `user_id`, who is signed in and asked for it.
pub fn link(
    conn: &mut DbConnection,
    user_id: &str,
    upstream: &str,
    profile: &UpstreamProfile,
    now: i64,
) -> Result<(), LinkingError> {
    match UpstreamIdentity::find(conn, upstream, &profile.subject)? {
        Some(existing) if existing.user_id == user_id => {
            UpstreamIdentity::touch(conn, &existing.id, profile.email.as_deref(), now)?;
            Ok(())
        }
        Some(_) => Err(LinkingError::LinkedToAnother),
        None => insert_identity(conn, user_id, upstream, profile, now),
    }
}

/// Removes one of `user`'s identities, unless nothing would be left to sign
/// in with: no password and no other identity. The person on `/account` and
/// an admin are held to the same rule. Returns the identity removed, for the
/// audit log.
pub fn unlink(
    conn: &mut DbConnection,
    user: &User,
    identity_id: &str,
) -> Result<UpstreamIdentity, LinkingError> {
    let identities = UpstreamIdentity::of_user(conn, &user.id)?;
    let Some(removed) = identities.iter().find(|i| i.id == identity_id).cloned() else {
        return Err(StorageError::NotFound.into());
    };
    if !can_remove_one(user.password_hash.is_some(), identities.len()) {
        return Err(LinkingError::LastSignInMethod);
    }
    UpstreamIdentity::delete(conn, &user.id, identity_id)?;
    Ok(removed)
}

/// Whether a user with or without a password and `identities` identities
/// keeps a way to sign in after losing one identity.
pub fn can_remove_one(has_password: bool, identities: usize) -> bool {
    has_password || identities > 1
}

fn active(user: User, found: Found) -> Result<(User, Found), LinkingError> {
    match user.disabled {
        true => Err(LinkingError::Disabled),
        false => Ok((user, found)),
    }
}

/// The one user with the profile's address, when the rules allow linking by
/// it; several users with one address are ambiguous and link to none.
fn user_by_verified_email(
    conn: &mut DbConnection,
    policy: &Policy,
    profile: &UpstreamProfile,
) -> Result<Option<User>, StorageError> {
    let Some(email) = profile.email.as_deref() else {
        return Ok(None);
    };
    if !(policy.trust_email && profile.email_verified) {
        return Ok(None);
    }
    let mut users = User::with_email(conn, email)?;
    Ok(match users.len() {
        1 => users.pop(),
        _ => None,
    })
}

fn insert_identity(
    conn: &mut DbConnection,
    user_id: &str,
    upstream: &str,
    profile: &UpstreamProfile,
    now: i64,
) -> Result<(), LinkingError> {
    let row = UpstreamIdentity {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_owned(),
        upstream: upstream.to_owned(),
        subject: profile.subject.clone(),
        email: profile.email.clone(),
        created_at: now,
        last_used_at: now,
    };
    match UpstreamIdentity::insert(conn, &row) {
        // Two first sign-ins raced; the other one linked the subject.
        Err(StorageError::Conflict) => Err(LinkingError::LinkedToAnother),
        other => Ok(other?),
    }
}

/// A user without a password, named after the profile; the name gets a
/// number when taken.
fn create_user(
    conn: &mut DbConnection,
    upstream: &str,
    policy: &Policy,
    profile: &UpstreamProfile,
    now: i64,
) -> Result<User, LinkingError> {
    let base = username_base(upstream, profile);
    for attempt in 0..20 {
        let candidate = match attempt {
            0 => base.clone(),
            n if n < 10 => format!("{base}-{}", n + 1),
            _ => format!("{base}-{}", &crate::secret::random_token(6)),
        };
        let Ok(username) = Username::parse(&candidate) else {
            continue;
        };
        let user = new_user(&username, policy, profile, now);
        // A savepoint: on PostgreSQL a failed insert would otherwise abort
        // the whole transaction, and the next name could not be tried.
        let inserted = conn.transaction::<_, StorageError, _>(|conn| User::insert(conn, &user));
        match inserted {
            // The audit event is written by the caller once the sign-in's
            // transaction commits, so a rolled-back user leaves none.
            Ok(()) => return Ok(user),
            Err(StorageError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(StorageError::Conflict.into())
}

fn new_user(username: &Username, policy: &Policy, profile: &UpstreamProfile, now: i64) -> User {
    User {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.as_str().to_owned(),
        username_key: username.key(),
        name: profile.name.clone(),
        email: profile.email.clone(),
        // Only an address the operator trusts the upstream to verify counts.
        email_verified: policy.trust_email && profile.email_verified,
        password_hash: None,
        roles: "[]".to_owned(),
        disabled: false,
        created_at: now,
        updated_at: now,
    }
}

/// The preferred username, the address's local part, or the upstream's name
/// with a piece of the subject; cut to fit a username.
pub fn username_base(upstream: &str, profile: &UpstreamProfile) -> String {
    let from_profile = profile
        .preferred_username
        .clone()
        .or_else(|| {
            let email = profile.email.as_deref()?;
            email.split('@').next().map(str::to_owned)
        })
        .map(|name| {
            name.chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
        })
        .filter(|name| !name.is_empty());
    let base = from_profile.unwrap_or_else(|| {
        let subject: String = profile
            .subject
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        format!("{upstream}-{subject}")
    });
    // Room for a suffix within the 64 characters a username may have.
    base.chars().take(48).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(preferred: Option<&str>, email: Option<&str>) -> UpstreamProfile {
        UpstreamProfile {
            subject: "1234-5678-abcd-efgh-ijkl".into(),
            preferred_username: preferred.map(str::to_owned),
            email: email.map(str::to_owned),
            ..UpstreamProfile::default()
        }
    }

    #[test]
    fn a_username_comes_from_the_profile_or_the_subject() {
        assert_eq!(
            username_base("corp", &profile(Some("Ana Lu"), None)),
            "AnaLu"
        );
        assert_eq!(
            username_base("corp", &profile(None, Some("bia@example.test"))),
            "bia"
        );
        assert_eq!(
            username_base("corp", &profile(None, None)),
            "corp-12345678abcd"
        );
    }

    #[test]
    fn the_last_way_to_sign_in_cannot_be_removed() {
        assert!(!can_remove_one(false, 1));
        assert!(can_remove_one(false, 2));
        assert!(can_remove_one(true, 1));
    }
}
